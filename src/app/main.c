/*
 * main.c - the tripminer executable: a thin layer over the library.
 */
#include "tripminer/cli.h"

int main(int argc, char **argv)
{
    return tm_cli_main(argc, argv);
}
