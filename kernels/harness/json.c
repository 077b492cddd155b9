/* JSON-line output: one object per line on stdout, and with --append the
 * same line appended to a file. */
#include "runner_parts.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void json_raw(fb_json *j, const char *fmt, ...)
{
    if (j->overflow) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(j->buf + j->used, sizeof j->buf - j->used, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= sizeof j->buf - j->used) {
        j->overflow = true;
        return;
    }
    j->used += (size_t)w;
}

static void json_string(fb_json *j, const char *s)
{
    json_raw(j, "\"");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') json_raw(j, "\\%c", c);
        else if (c < 0x20) json_raw(j, "\\u%04x", c);
        else json_raw(j, "%c", c);
    }
    json_raw(j, "\"");
}

/* Opens a nested object; the next key needs no comma. */
void json_open(fb_json *j)
{
    json_raw(j, "{");
    j->first_key = true;
}

void json_key(fb_json *j, const char *key)
{
    json_raw(j, j->first_key ? "" : ",");
    j->first_key = false;
    json_string(j, key);
    json_raw(j, ":");
}

void fb_json_int(fb_json *j, const char *key, long long v)
{
    json_key(j, key);
    json_raw(j, "%lld", v);
}

void fb_json_num(fb_json *j, const char *key, double v)
{
    json_key(j, key);
    if (isfinite(v)) json_raw(j, "%.6g", v);
    else json_raw(j, "null");
}

void fb_json_str(fb_json *j, const char *key, const char *v)
{
    json_key(j, key);
    json_string(j, v);
}

void json_bool_or_null(fb_json *j, const char *key, int v)
{
    json_key(j, key);
    json_raw(j, v < 0 ? "null" : v ? "true" : "false");
}

void json_begin(fb_json *j)
{
    j->used = 0;
    j->overflow = false;
    json_open(j);
}

/* --append FILE: every JSON line also goes there, in one write(2) on an
 * O_APPEND descriptor, so lines of several processes never interleave.
 * (hyperfine, which runs the sweep's samples, keeps no program output.) */
static int append_fd = -1;

void json_end_line(fb_json *j)
{
    json_raw(j, "}");
    if (j->overflow) {
        fprintf(stderr, "flagbench: JSON line too long, dropped\n");
        return;
    }
    fputs(j->buf, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    if (append_fd >= 0) {
        j->buf[j->used] = '\n';
        if (write(append_fd, j->buf, j->used + 1) != (ssize_t)(j->used + 1))
            fprintf(stderr, "flagbench: cannot append the JSON line: %s\n", strerror(errno));
        j->buf[j->used] = '\0';
    }
}

void json_ns(fb_json *j, const char *key, double ns)
{
    json_key(j, key);
    if (!isfinite(ns)) json_raw(j, "null");
    else if (ns == (double)(long long)ns) json_raw(j, "%lld", (long long)ns);
    else json_raw(j, "%.2f", ns);
}

bool json_append_to(const char *path)
{
    append_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    return append_fd >= 0;
}
