/* dlopener.c - loads libplugin.so with dlopen() (after connleak has written
 * its first module map) and calls its plugin_open() twice, leaking two
 * sockets from inside the plugin.
 *   dlopener PATH-TO-libplugin.so */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: dlopener PATH-TO-libplugin.so\n");
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopener: %s\n", dlerror());
        return 1;
    }
    int (*open_fn)(void) = (int (*)(void))dlsym(h, "plugin_open");
    if (!open_fn) return 1;
    int a = open_fn(), b = open_fn();
    printf("dlopener: plugin opened fds %d and %d\n", a, b);
    return a >= 0 && b >= 0 ? 0 : 1;
}
