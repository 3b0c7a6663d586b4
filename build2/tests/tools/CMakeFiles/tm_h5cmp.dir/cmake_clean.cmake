file(REMOVE_RECURSE
  "CMakeFiles/tm_h5cmp.dir/tm_h5cmp.c.o"
  "CMakeFiles/tm_h5cmp.dir/tm_h5cmp.c.o.d"
  "tm_h5cmp"
  "tm_h5cmp.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/tm_h5cmp.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
