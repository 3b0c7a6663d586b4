# Empty dependencies file for test_loss_mpi.
# This may be replaced when dependencies are built.
