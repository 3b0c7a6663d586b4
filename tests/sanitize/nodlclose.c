/*
 * nodlclose.c - a dlclose() that leaves every library loaded. The tests of
 * the sanitizer build preload it (LD_PRELOAD, tests/CMakeLists.txt); it is
 * built without sanitizers, since the shells, mpirun and Python of the
 * tests load it too.
 *
 * Open MPI unloads its plugins (mca_*.so) in MPI_Finalize, before
 * LeakSanitizer looks for leaks at exit. The frames of the process-lifetime
 * memory that those plugins allocated then lie in no module: LeakSanitizer
 * looks each of them up again, symbolizes it, and must unwind every
 * allocation in full to reach an Open MPI library that lsan.supp names.
 * That cost about three seconds of CPU at the exit of every MPI process of
 * the suite; with the plugins kept loaded it is a fraction of one. Nothing
 * else changes: a process unloads nothing at exit anyway.
 */
#include <dlfcn.h>

int dlclose(void *handle)
{
    (void)handle;
    return 0;
}
