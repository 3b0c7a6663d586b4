file(REMOVE_RECURSE
  "CMakeFiles/test_kfast.dir/test_kfast.c.o"
  "CMakeFiles/test_kfast.dir/test_kfast.c.o.d"
  "test_kfast"
  "test_kfast.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_kfast.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
