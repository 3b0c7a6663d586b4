file(REMOVE_RECURSE
  "CMakeFiles/tm_ref.dir/tm_ref.c.o"
  "CMakeFiles/tm_ref.dir/tm_ref.c.o.d"
  "tm_ref"
  "tm_ref.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/tm_ref.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
