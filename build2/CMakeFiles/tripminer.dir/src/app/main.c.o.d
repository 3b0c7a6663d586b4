CMakeFiles/tripminer.dir/src/app/main.c.o: /work/main/src/app/main.c \
 /usr/include/stdc-predef.h /work/main/include/tripminer/cli.h \
 /usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h \
 /usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h \
 /usr/lib/x86_64-linux-gnu/openmpi/include/mpi_portable_platform.h
