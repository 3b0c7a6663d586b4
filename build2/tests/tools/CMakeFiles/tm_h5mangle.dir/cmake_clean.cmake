file(REMOVE_RECURSE
  "CMakeFiles/tm_h5mangle.dir/tm_h5mangle.c.o"
  "CMakeFiles/tm_h5mangle.dir/tm_h5mangle.c.o.d"
  "tm_h5mangle"
  "tm_h5mangle.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/tm_h5mangle.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
