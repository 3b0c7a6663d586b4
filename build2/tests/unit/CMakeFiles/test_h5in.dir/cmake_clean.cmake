file(REMOVE_RECURSE
  "CMakeFiles/test_h5in.dir/test_h5in.c.o"
  "CMakeFiles/test_h5in.dir/test_h5in.c.o.d"
  "test_h5in"
  "test_h5in.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_h5in.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
