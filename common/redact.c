/* redact.c - secrets out of argv before it reaches a trace (redact.h). */
#include "redact.h"

#include <string.h>

/* Does name (len bytes, leading dashes stripped) name a secret? */
static bool secret_name(const char *name, size_t len)
{
    static const char *const words[] = {"pass",       "pwd",    "secret", "token",   "key", "auth",
                                        "credential", "bearer", "cookie", "session", NULL};
    char low[64];
    if (!len || len >= sizeof(low)) return false;
    for (size_t i = 0; i < len; i++)
        low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    low[len] = 0;
    for (int i = 0; words[i]; i++)
        if (strstr(low, words[i])) return true;
    return false;
}

bool redact_flag_takes_secret(const char *arg)
{
    if (arg[0] != '-' || strchr(arg, '=')) return false;
    while (*arg == '-') arg++;
    return secret_name(arg, strlen(arg));
}

static void put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && *o + 1 < cap; i++) out[(*o)++] = s[i];
    out[*o] = 0;
}

/* scheme://[userinfo@]host/path[?query|#fragment|;params] */
static void url_put(const char *url, const char *auth, char *out, size_t cap, size_t *o)
{
    size_t alen = strcspn(auth, "/?#;");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@') at = auth + i;
    put(out, cap, o, url, (size_t)(auth - url));
    if (at) put(out, cap, o, REDACTED "@", sizeof(REDACTED));
    const char *rest = at ? at + 1 : auth;
    size_t keep = strcspn(rest, "?#;");
    put(out, cap, o, rest, keep);
    if (rest[keep]) put(out, cap, o, "?" REDACTED, sizeof(REDACTED));
}

void redact_arg(const char *arg, bool secret, char *out, size_t cap)
{
    size_t o = 0;
    if (!cap) return;
    out[0] = 0;
    if (secret) {
        put(out, cap, &o, REDACTED, sizeof(REDACTED) - 1);
        return;
    }
    const char *scheme = strstr(arg, "://");
    const char *eq = strchr(arg, '=');
    if (scheme && (!eq || scheme < eq)) { /* a URL, maybe after "--url=" */
        url_put(arg, scheme + 3, out, cap, &o);
        return;
    }
    if (eq) {
        const char *name = arg;
        while (*name == '-') name++;
        if (name < eq && secret_name(name, (size_t)(eq - name))) {
            put(out, cap, &o, arg, (size_t)(eq - arg) + 1);
            put(out, cap, &o, REDACTED, sizeof(REDACTED) - 1);
            return;
        }
        const char *val_scheme = strstr(eq, "://");
        if (val_scheme) { /* --url=https://user:pw@host/?q */
            put(out, cap, &o, arg, (size_t)(eq - arg) + 1);
            char tmp[1024];
            size_t t = 0;
            url_put(eq + 1, val_scheme + 3, tmp, sizeof(tmp), &t);
            put(out, cap, &o, tmp, t);
            return;
        }
    }
    put(out, cap, &o, arg, strlen(arg));
}
