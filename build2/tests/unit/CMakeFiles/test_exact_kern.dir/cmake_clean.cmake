file(REMOVE_RECURSE
  "CMakeFiles/test_exact_kern.dir/test_exact_kern.c.o"
  "CMakeFiles/test_exact_kern.dir/test_exact_kern.c.o.d"
  "test_exact_kern"
  "test_exact_kern.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_exact_kern.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
