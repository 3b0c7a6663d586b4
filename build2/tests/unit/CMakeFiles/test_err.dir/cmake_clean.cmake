file(REMOVE_RECURSE
  "CMakeFiles/test_err.dir/test_err.c.o"
  "CMakeFiles/test_err.dir/test_err.c.o.d"
  "test_err"
  "test_err.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_err.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
