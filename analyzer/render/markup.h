/* markup.h - text from a trace put into HTML or XML (render_html.c,
 * render_junit.c): escaped, so that nothing a program wrote can become
 * markup. */
#ifndef CONNLEAK_RENDER_MARKUP_H
#define CONNLEAK_RENDER_MARKUP_H

#include <stdio.h>

/* s as character data or a quoted attribute value of HTML or XML 1.0:
 * & < > " ' escaped, control characters but \n and \t (which XML 1.0
 * forbids) and DEL as '?'. NULL prints nothing. */
void markup_put(FILE *out, const char *s);

#endif
