file(REMOVE_RECURSE
  "CMakeFiles/tm_gen.dir/tm_gen.c.o"
  "CMakeFiles/tm_gen.dir/tm_gen.c.o.d"
  "tm_gen"
  "tm_gen.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/tm_gen.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
