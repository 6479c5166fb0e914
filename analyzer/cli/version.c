/* version.c - `connleak --version`: the release and the git revision it was
 * built from (revision.h, written at every build by cmake/revision.cmake;
 * only this file is rebuilt when the revision changes). */
#include <stdio.h>

#include "cli/commands.h"
#include "revision.h"

void version_print(void)
{
    puts("connleak " CONNLEAK_VERSION " (" CONNLEAK_REVISION ")");
}
