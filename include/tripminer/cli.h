/*
 * cli.h - the tripminer command line as a library call, so that tests can
 * run the whole program in-process.
 */
#ifndef TRIPMINER_CLI_H
#define TRIPMINER_CLI_H

#include <mpi.h>

/*
 * Run one tripminer command (argv[0] is the program name, argv[1] the
 * command) over comm, which must be an initialised communicator. Prints
 * results and the one error line from rank 0 only. Returns the exit
 * status (0, 1 or 2), the same on every rank. Collective over comm.
 */
int tm_cli_run(int argc, char **argv, MPI_Comm comm);

/*
 * The whole program: initialise MPI, run tm_cli_run over a duplicate of
 * MPI_COMM_WORLD with MPI_ERRORS_RETURN, finalise. Returns the exit
 * status.
 */
int tm_cli_main(int argc, char **argv);

#endif
