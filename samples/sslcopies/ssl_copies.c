/* ssl_copies.c - loads each plugin named on the command line with
 * dlopen(RTLD_LOCAL) and prints what its SSL_read answered. Each plugin
 * depends on its own copy of "libssl": under connleak (whose SSL_read every
 * caller binds to first) each must still reach its own copy.
 *
 *   ssl_copies PLUGIN.so...   prints "PLUGIN.so: N" per plugin */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        void *h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
        int (*call)(void) = h ? (int (*)(void))dlsym(h, "call") : NULL;
        if (!call) {
            fprintf(stderr, "ssl_copies: %s: %s\n", argv[i], dlerror());
            return 1;
        }
        printf("%s: %d\n", argv[i], call());
    }
    return 0;
}
