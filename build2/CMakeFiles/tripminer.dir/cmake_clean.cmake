file(REMOVE_RECURSE
  "CMakeFiles/tripminer.dir/src/app/main.c.o"
  "CMakeFiles/tripminer.dir/src/app/main.c.o.d"
  "tripminer"
  "tripminer.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/tripminer.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
