file(REMOVE_RECURSE
  "CMakeFiles/test_loss_mpi.dir/test_loss_mpi.c.o"
  "CMakeFiles/test_loss_mpi.dir/test_loss_mpi.c.o.d"
  "test_loss_mpi"
  "test_loss_mpi.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_loss_mpi.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
