file(REMOVE_RECURSE
  "CMakeFiles/tm_h5stats.dir/tm_h5stats.c.o"
  "CMakeFiles/tm_h5stats.dir/tm_h5stats.c.o.d"
  "tm_h5stats"
  "tm_h5stats.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/tm_h5stats.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
