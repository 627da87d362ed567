/* SPDX-License-Identifier: MIT */
/*
 * This file implements symbolization with elfutils' libdwfl: function,
 * file:line and inlined frames for a pc, in the executable or any shared
 * object, PIE or not. One Dwfl session per process, created on first use
 * (and again in a forked child), reporting the process's own mappings; a
 * pc that falls in no module (a library dlopen'ed since) makes it report
 * the mappings again, once per pc.
 *
 * Each pc goes through dwfl_addrmodule -> dwfl_module_addrinfo (symbol)
 * -> dwfl_module_getsrc/dwfl_lineinfo (line) -> dwarf_getscopes on the CU
 * (inlined subroutines: the name of each inlined function, and the call
 * site line that becomes the line of its caller), as eu-addr2line -i does.
 * Results are cached by pc. Failures degrade to "??" and never to a
 * missing frame.
 */
#define _GNU_SOURCE
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports.h"

#define CACHE_SIZE 4096 /* power of two */
#define MAX_INLINE 8

struct cache_entry {
    uintptr_t key;       /* pc | exact bit; 0 = empty */
    int nframes;
    struct rep_frame frames[MAX_INLINE];
};

static pthread_mutex_t sym_lock = PTHREAD_MUTEX_INITIALIZER;
static Dwfl *dwfl;
static pid_t session_pid;
static struct cache_entry *cache;
static char *debuginfo_path;

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .debuginfo_path = &debuginfo_path,
};

/* intern returns a copy of s that lives as long as the process. */
static const char *intern(const char *s)
{
    if (!s)
        return "??";
    char *copy = strdup(s);
    return copy ? copy : "??";
}

static void dwfl_error(const char *what)
{
    rep_printf("gosan: symbolizer: %s: %s\n", what, dwfl_errmsg(-1));
}

/* report_process (re)reads the process's mappings. sym_lock held. */
static bool report_process(void)
{
    dwfl_report_begin(dwfl);
    int r = dwfl_linux_proc_report(dwfl, getpid());
    if (r < 0) {
        dwfl_error("dwfl_linux_proc_report");
        dwfl_report_end(dwfl, NULL, NULL);
        return false;
    }
    if (r > 0) {
        rep_printf("gosan: symbolizer: dwfl_linux_proc_report: %s\n",
                   strerror(r));
        dwfl_report_end(dwfl, NULL, NULL);
        return false;
    }
    if (dwfl_report_end(dwfl, NULL, NULL) != 0) {
        dwfl_error("dwfl_report_end");
        return false;
    }
    return true;
}

static bool ensure_session(void)
{
    pid_t pid = getpid();
    if (dwfl && session_pid == pid)
        return true;
    if (dwfl && session_pid != pid) {
        /* Forked child: the parent's session describes the same mappings
         * but holds the parent's file descriptors; start afresh. */
        dwfl_end(dwfl);
        dwfl = NULL;
    }
    if (!cache) {
        cache = calloc(CACHE_SIZE, sizeof *cache);
        if (!cache)
            return false;
    }
    dwfl = dwfl_begin(&callbacks);
    if (!dwfl) {
        dwfl_error("dwfl_begin");
        return false;
    }
    session_pid = pid;
    if (!report_process()) {
        dwfl_end(dwfl);
        dwfl = NULL;
        return false;
    }
    return true;
}

/* rep_symbolizer_reset ends the session and empties the cache (tests use
 * it to check that sessions do not leak file descriptors). */
void rep_symbolizer_reset(void)
{
    pthread_mutex_lock(&sym_lock);
    if (dwfl)
        dwfl_end(dwfl);
    dwfl = NULL;
    if (cache)
        memset(cache, 0, CACHE_SIZE * sizeof *cache);
    pthread_mutex_unlock(&sym_lock);
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *name = NULL;
    if (dwarf_attr_integrate(die, DW_AT_name, &attr))
        name = dwarf_formstring(&attr);
    return name;
}

static const char *call_file(Dwarf_Die *cudie, Dwarf_Die *inlined)
{
    Dwarf_Attribute attr;
    Dwarf_Word idx;
    if (!dwarf_attr(inlined, DW_AT_call_file, &attr) ||
        dwarf_formudata(&attr, &idx) != 0)
        return NULL;
    Dwarf_Files *files;
    size_t nfiles;
    if (dwarf_getsrcfiles(cudie, &files, &nfiles) != 0 || idx >= nfiles)
        return NULL;
    return dwarf_filesrc(files, idx, NULL, NULL);
}

static int call_line(Dwarf_Die *inlined)
{
    Dwarf_Attribute attr;
    Dwarf_Word line;
    if (!dwarf_attr(inlined, DW_AT_call_line, &attr) ||
        dwarf_formudata(&attr, &line) != 0)
        return 0;
    return (int)line;
}

/* symbolize_locked fills out[] for addr. sym_lock held. */
static int symbolize_locked(uintptr_t pc, uintptr_t addr,
                            struct rep_frame *out, int max)
{
    Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
    if (!mod && report_process())
        mod = dwfl_addrmodule(dwfl, addr);
    struct rep_frame base = {
        .function = "??", .file = "??", .line = 0, .pc = pc,
        .fn_offset = 0, .inlined = false, .module = "??",
    };
    if (!mod) {
        out[0] = base;
        return 1;
    }
    const char *modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL,
                                           NULL, NULL);
    base.module = intern(modname);
    GElf_Off off = 0;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL,
                                            NULL, NULL);
    if (name) {
        base.function = intern(name);
        base.fn_offset = (uintptr_t)off + (pc - addr);
    }
    Dwfl_Line *line = dwfl_module_getsrc(mod, addr);
    if (line) {
        int lineno = 0;
        const char *file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL,
                                         NULL);
        if (file) {
            base.file = intern(file);
            base.line = lineno;
        }
    }

    /* Inlined frames: scopes run from the innermost outwards. */
    Dwarf_Addr bias = 0;
    Dwarf_Die *cudie = dwfl_module_addrdie(mod, addr, &bias);
    Dwarf_Die *scopes = NULL;
    int nscopes = cudie ? dwarf_getscopes(cudie, addr - bias, &scopes) : 0;
    int n = 0;
    const char *file = base.file;
    int lineno = base.line;
    for (int i = 0; i < nscopes && n < max - 1; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag != DW_TAG_inlined_subroutine)
            continue;
        /* This scope is a function inlined at (call_file, call_line) of
         * the next enclosing function scope. */
        out[n] = base;
        out[n].function = intern(die_name(&scopes[i]));
        out[n].file = file;
        out[n].line = lineno;
        out[n].inlined = true;
        n++;
        const char *cf = call_file(cudie, &scopes[i]);
        file = cf ? intern(cf) : "??";
        lineno = call_line(&scopes[i]);
    }
    free(scopes);
    out[n] = base;
    out[n].file = file;
    out[n].line = lineno;
    return n + 1;
}

int rep_symbolize(uintptr_t pc, bool exact, struct rep_frame *out, int max)
{
    if (max <= 0)
        return 0;
    uintptr_t addr = exact || pc == 0 ? pc : pc - 1;
    uintptr_t key = pc << 1 | (exact ? 1 : 0);
    pthread_mutex_lock(&sym_lock);
    if (!ensure_session()) {
        pthread_mutex_unlock(&sym_lock);
        out[0] = (struct rep_frame){ .function = "??", .file = "??",
                                     .pc = pc, .module = "??" };
        return 1;
    }
    struct cache_entry *e = &cache[(key * 0x9e3779b97f4a7c15ull) >> 52 &
                                   (CACHE_SIZE - 1)];
    if (e->key != key) {
        e->key = key;
        e->nframes = symbolize_locked(pc, addr, e->frames, MAX_INLINE);
    }
    int n = e->nframes < max ? e->nframes : max;
    memcpy(out, e->frames, (size_t)n * sizeof *out);
    pthread_mutex_unlock(&sym_lock);
    return n;
}

/* The end of a large .bss lies in an anonymous mapping, which
 * /proc/self/maps does not name: libdwfl knows no module there. The
 * loaded object's PT_LOAD segments (p_memsz covers .bss) say whose it is;
 * libdwfl finds the module by an address of the object that is file
 * backed, its first segment. */
struct bss_search {
    uintptr_t addr;
    uintptr_t first_segment;
};

static int bss_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct bss_search *b = arg;
    uintptr_t first = 0;
    bool inside = false;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (!first)
            first = lo;
        if (b->addr >= lo && b->addr < lo + ph->p_memsz)
            inside = true;
    }
    if (!inside)
        return 0;
    b->first_segment = first;
    return 1;
}

static Dwfl_Module *module_of_bss(uintptr_t addr)
{
    struct bss_search b = { addr, 0 };
    if (!dl_iterate_phdr(bss_cb, &b) || !b.first_segment)
        return NULL;
    return dwfl_addrmodule(dwfl, b.first_segment);
}

bool rep_symbolize_data(uintptr_t addr, struct rep_data *out)
{
    bool ok = false;
    pthread_mutex_lock(&sym_lock);
    if (ensure_session()) {
        Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
        if (!mod)
            mod = module_of_bss(addr);
        if (mod) {
            GElf_Off off = 0;
            GElf_Sym sym;
            const char *name = dwfl_module_addrinfo(mod, addr, &off, &sym,
                                                    NULL, NULL, NULL);
            if (name && GELF_ST_TYPE(sym.st_info) == STT_OBJECT &&
                off < sym.st_size) {
                out->name = intern(name);
                out->start = addr - off;
                out->size = sym.st_size;
                Dwarf_Addr base = 0;
                out->module = intern(dwfl_module_info(mod, NULL, &base, NULL,
                                                      NULL, NULL, NULL,
                                                      NULL));
                out->module_base = (uintptr_t)base;
                ok = true;
            }
        }
    }
    pthread_mutex_unlock(&sym_lock);
    return ok;
}

const char *rep_strip_path(const char *file)
{
    const char *prefix = rep_options()->strip_path_prefix;
    size_t len = strlen(prefix);
    if (len && !strncmp(file, prefix, len))
        return file + len;
    return file;
}

int rep_symbolize_stack(const uintptr_t *pcs, int n, bool first_exact,
                        const struct rep_stack_filter *filter,
                        struct rep_frame *out, int max)
{
    int k = 0;
    for (int i = 0; i < n && k < max; i++)
        k += rep_symbolize(pcs[i], i == 0 && first_exact, out + k, max - k);
    if (!filter)
        return k;
    int start = 0;
    if (filter->internal) {
        while (start < k && filter->internal(&out[start]))
            start++;
        if (start == k)
            start = 0; /* all internal: show everything rather than nothing */
        else if (start > 0 && filter->api && filter->api(&out[start - 1]))
            start--;
    }
    int end = k;
    if (filter->bottom)
        while (end > start + 1 && filter->bottom(&out[end - 1]))
            end--;
    if (start > 0)
        memmove(out, out + start, (size_t)(end - start) * sizeof *out);
    return end - start;
}

size_t rep_format_stack(char *buf, size_t cap, size_t len,
                        const uintptr_t *pcs, int n, bool first_exact,
                        const struct rep_stack_filter *filter)
{
    enum { MAX = REP_MAX_FRAMES * 2 };
    struct rep_frame *frames = malloc(MAX * sizeof *frames);
    if (!frames)
        return len;
    int k = rep_symbolize_stack(pcs, n, first_exact, filter, frames, MAX);
    for (int j = 0; j < k && len < cap; j++) {
        int w = snprintf(buf + len, cap - len, "%s(...)\n\t%s:%d +0x%lx\n",
                         frames[j].function, rep_strip_path(frames[j].file),
                         frames[j].line, (unsigned long)frames[j].fn_offset);
        if (w > 0)
            len += (size_t)w;
    }
    free(frames);
    return len > cap ? cap : len;
}

void rep_print_stack(const uintptr_t *pcs, int n, bool first_exact,
                     const struct rep_stack_filter *filter)
{
    size_t cap = 64 * 1024;
    char *buf = malloc(cap);
    if (!buf) {
        for (int i = 0; i < n; i++)
            rep_printf("\tpc=%#lx\n", (unsigned long)pcs[i]);
        return;
    }
    size_t len = rep_format_stack(buf, cap, 0, pcs, n, first_exact, filter);
    rep_write(buf, len);
    free(buf);
}
