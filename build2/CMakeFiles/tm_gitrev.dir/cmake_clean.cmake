file(REMOVE_RECURSE
  "CMakeFiles/tm_gitrev"
  "generated/tm_gitrev.h"
)

# Per-language clean rules from dependency scanning.
foreach(lang )
  include(CMakeFiles/tm_gitrev.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
