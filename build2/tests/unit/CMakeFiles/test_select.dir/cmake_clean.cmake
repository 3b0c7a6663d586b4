file(REMOVE_RECURSE
  "CMakeFiles/test_select.dir/test_select.c.o"
  "CMakeFiles/test_select.dir/test_select.c.o.d"
  "test_select"
  "test_select.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_select.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
