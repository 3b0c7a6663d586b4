file(REMOVE_RECURSE
  "CMakeFiles/tm_ftz.dir/tm_ftz.c.o"
  "CMakeFiles/tm_ftz.dir/tm_ftz.c.o.d"
  "libtm_ftz.pdb"
  "libtm_ftz.so"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/tm_ftz.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
