#include <string.h>
#include "shfs.h"
#include "semihosting.h"
#include "py/builtin.h"
#include "py/mperrno.h"
#include "py/reader.h"
#include "py/runtime.h"

#define MODE_DIR (0x4000)
#define MODE_FILE (0x8000)

// Current directory as a canonical path.
static char shfs_cwd[MICROPY_ALLOC_PATH_MAX];
// "/" followed by shfs_cwd, for getcwd().
static char shfs_cwd_display[MICROPY_ALLOC_PATH_MAX + 1];

void shfs_init(void) {
    shfs_cwd[0] = '\0';
}

static bool component_is_allowed(const char *start, size_t len) {
    if (len == 2 && start[0] == '.' && start[1] == '.') {
        return false;
    }
    for (size_t i = 0; i < len; ++i) {
        unsigned char c = (unsigned char)start[i];
        if (c < 0x20 || c == 0x7f || c == ':' || c == '\\') {
            return false;
        }
    }
    return true;
}

// Returns 0 or an MP_Exxx error number.
static int resolve(const char *guest_path, shfs_path_t *out) {
    size_t len = 0;
    if (guest_path[0] != '/') {
        len = strlen(shfs_cwd);
        memcpy(out->path, shfs_cwd, len);
    }
    const char *p = guest_path;
    while (*p) {
        while (*p == '/') {
            ++p;
        }
        const char *start = p;
        while (*p && *p != '/') {
            ++p;
        }
        size_t component_len = (size_t)(p - start);
        if (component_len == 0 || (component_len == 1 && start[0] == '.')) {
            continue;
        }
        if (!component_is_allowed(start, component_len)) {
            return MP_EACCES;
        }
        size_t needed = len + (len > 0) + component_len;
        if (needed >= sizeof(out->path)) {
            return MP_EINVAL;
        }
        if (len > 0) {
            out->path[len++] = '/';
        }
        memcpy(out->path + len, start, component_len);
        len += component_len;
    }
    out->path[len] = '\0';
    return 0;
}

void shfs_resolve(const char *guest_path, shfs_path_t *out) {
    int error = resolve(guest_path, out);
    if (error) {
        mp_raise_OSError(error);
    }
}

bool shfs_try_resolve(const char *guest_path, shfs_path_t *out) {
    return resolve(guest_path, out) == 0;
}

void shfs_host_name(const shfs_path_t *path, shfs_host_name_t *out) {
    char *q = out->name;
    for (const char *p = path->path; *p; ++p) {
        if (*p == '/' || *p == '%') {
            *q++ = '%';
            *q++ = '2';
            *q++ = *p == '/' ? 'F' : '5';
        } else {
            *q++ = *p;
        }
    }
    *q = '\0';
}

// ---- the index ----

typedef struct {
    char *data; // lines "d path\n" / "f path\n"
    size_t len;
} shfs_index_t;

static void index_load(shfs_index_t *index) {
    index->data = NULL;
    index->len = 0;
    int handle = semihosting_open(SHFS_INDEX_NAME, SEMIHOSTING_OPEN_READ);
    if (handle < 0) {
        return;
    }
    int32_t len = semihosting_flen(handle);
    if (len > 0) {
        index->data = m_new(char, (size_t)len);
        index->len = semihosting_read(handle, index->data, (size_t)len);
    }
    semihosting_close(handle);
}

static void index_free(shfs_index_t *index) {
    if (index->data != NULL) {
        m_del(char, index->data, index->len);
        index->data = NULL;
    }
}

static void index_store(const shfs_index_t *index) {
    int handle = semihosting_open(SHFS_INDEX_NAME, SEMIHOSTING_OPEN_WRITE);
    if (handle < 0) {
        mp_raise_OSError(MP_EIO);
    }
    size_t written = semihosting_write(handle, index->data, index->len);
    semihosting_close(handle);
    if (written != index->len) {
        mp_raise_OSError(MP_EIO);
    }
}

// QEMU 7.2 opens semihosting "ab" files without O_APPEND (each open
// truncates), so an entry is added by rewriting the whole index.
static void index_append(char kind, const shfs_path_t *path) {
    shfs_index_t index;
    index_load(&index);
    size_t path_len = strlen(path->path);
    size_t len = index.len + path_len + 3;
    char *data = m_new(char, len);
    if (index.len > 0) {
        memcpy(data, index.data, index.len);
    }
    data[index.len] = kind;
    data[index.len + 1] = ' ';
    memcpy(data + index.len + 2, path->path, path_len);
    data[len - 1] = '\n';
    index_free(&index);
    shfs_index_t updated = { data, len };
    index_store(&updated);
    m_del(char, data, len);
}

// Iterates over the lines of an index: line points to "k path", path_len is
// the length of the path.
typedef struct {
    const char *line;
    const char *path;
    size_t path_len;
    char kind;
    size_t offset;
} index_entry_t;

static bool index_next(const shfs_index_t *index, index_entry_t *entry) {
    while (entry->offset < index->len) {
        const char *line = index->data + entry->offset;
        const char *end = memchr(line, '\n', index->len - entry->offset);
        size_t line_len = end ? (size_t)(end - line) : index->len - entry->offset;
        entry->offset += line_len + 1;
        if (line_len >= 3 && (line[0] == 'd' || line[0] == 'f') && line[1] == ' ') {
            entry->line = line;
            entry->kind = line[0];
            entry->path = line + 2;
            entry->path_len = line_len - 2;
            return true;
        }
    }
    return false;
}

static bool entry_is(const index_entry_t *entry, const char *path, size_t path_len) {
    return entry->path_len == path_len && memcmp(entry->path, path, path_len) == 0;
}

// Is entry inside directory dir (any depth)?
static bool entry_is_below(const index_entry_t *entry, const char *dir, size_t dir_len) {
    if (dir_len == 0) {
        return true;
    }
    return entry->path_len > dir_len && entry->path[dir_len] == '/' && memcmp(entry->path, dir, dir_len) == 0;
}

// Kind recorded in the index for path: 'd', 'f' or 0.
static char index_kind(const shfs_index_t *index, const char *path, size_t path_len) {
    index_entry_t entry = { 0 };
    while (index_next(index, &entry)) {
        if (entry_is(&entry, path, path_len)) {
            return entry.kind;
        }
    }
    return 0;
}

static bool index_has_children(const shfs_index_t *index, const char *dir, size_t dir_len) {
    index_entry_t entry = { 0 };
    while (index_next(index, &entry)) {
        if (entry_is_below(&entry, dir, dir_len)) {
            return true;
        }
    }
    return false;
}

// Drops the lines of path (exactly) from the index, in place.
static void index_drop(shfs_index_t *index, const char *path, size_t path_len) {
    index_entry_t entry = { 0 };
    size_t out = 0;
    while (index_next(index, &entry)) {
        if (!entry_is(&entry, path, path_len)) {
            size_t line_len = entry.path_len + 3;
            memmove(index->data + out, entry.line, line_len - 1);
            index->data[out + line_len - 1] = '\n';
            out += line_len;
        }
    }
    index->len = out;
}

// ---- queries ----

static bool host_file_size(const shfs_path_t *path, uint32_t *size) {
    if (path->path[0] == '\0') {
        return false;
    }
    shfs_host_name_t host;
    shfs_host_name(path, &host);
    int handle = semihosting_open(host.name, SEMIHOSTING_OPEN_READ);
    if (handle < 0) {
        return false;
    }
    if (size != NULL) {
        int32_t len = semihosting_flen(handle);
        *size = len < 0 ? 0 : (uint32_t)len;
    }
    semihosting_close(handle);
    return true;
}

static shfs_kind_t kind_with_index(const shfs_index_t *index, const shfs_path_t *path, uint32_t *size) {
    if (path->path[0] == '\0') {
        return SHFS_DIR;
    }
    if (index_kind(index, path->path, strlen(path->path)) == 'd') {
        return SHFS_DIR;
    }
    return host_file_size(path, size) ? SHFS_FILE : SHFS_NONE;
}

shfs_kind_t shfs_kind(const shfs_path_t *path, uint32_t *size) {
    shfs_index_t index;
    index_load(&index);
    shfs_kind_t kind = kind_with_index(&index, path, size);
    index_free(&index);
    return kind;
}

static size_t parent_len(const shfs_path_t *path) {
    const char *slash = strrchr(path->path, '/');
    return slash ? (size_t)(slash - path->path) : 0;
}

static void check_parent_with_index(const shfs_index_t *index, const shfs_path_t *path) {
    size_t len = parent_len(path);
    if (len > 0 && index_kind(index, path->path, len) != 'd') {
        mp_raise_OSError(MP_ENOENT);
    }
}

void shfs_check_parent(const shfs_path_t *path) {
    shfs_index_t index;
    index_load(&index);
    check_parent_with_index(&index, path);
    index_free(&index);
}

void shfs_add_file(const shfs_path_t *path) {
    shfs_index_t index;
    index_load(&index);
    bool listed = index_kind(&index, path->path, strlen(path->path)) == 'f';
    index_free(&index);
    if (!listed) {
        index_append('f', path);
    }
}

// ---- operations ----

void shfs_mkdir(const shfs_path_t *path) {
    shfs_index_t index;
    index_load(&index);
    if (kind_with_index(&index, path, NULL) != SHFS_NONE) {
        index_free(&index);
        mp_raise_OSError(MP_EEXIST);
    }
    check_parent_with_index(&index, path);
    index_free(&index);
    index_append('d', path);
}

void shfs_rmdir(const shfs_path_t *path) {
    shfs_index_t index;
    index_load(&index);
    size_t len = strlen(path->path);
    int error = 0;
    if (len == 0) {
        error = MP_EBUSY;
    } else if (index_kind(&index, path->path, len) != 'd') {
        error = host_file_size(path, NULL) ? MP_ENOTDIR : MP_ENOENT;
    } else if (index_has_children(&index, path->path, len)) {
        error = MP_EACCES; // ENOTEMPTY has no MP_ name
    } else {
        index_drop(&index, path->path, len);
        index_store(&index);
    }
    index_free(&index);
    if (error) {
        mp_raise_OSError(error);
    }
}

void shfs_remove(const shfs_path_t *path) {
    shfs_index_t index;
    index_load(&index);
    size_t len = strlen(path->path);
    int error = 0;
    if (len == 0 || index_kind(&index, path->path, len) == 'd') {
        error = MP_EISDIR;
    } else {
        shfs_host_name_t host;
        shfs_host_name(path, &host);
        bool removed = semihosting_remove(host.name) == 0;
        bool listed = index_kind(&index, path->path, len) == 'f';
        if (listed) {
            index_drop(&index, path->path, len);
            index_store(&index);
        } else if (!removed) {
            error = MP_ENOENT;
        }
    }
    index_free(&index);
    if (error) {
        mp_raise_OSError(error);
    }
}

static void rename_host_file(const char *from, size_t from_len, const char *to, size_t to_len) {
    shfs_path_t from_path, to_path;
    memcpy(from_path.path, from, from_len);
    from_path.path[from_len] = '\0';
    memcpy(to_path.path, to, to_len);
    to_path.path[to_len] = '\0';
    shfs_host_name_t from_host, to_host;
    shfs_host_name(&from_path, &from_host);
    shfs_host_name(&to_path, &to_host);
    semihosting_rename(from_host.name, to_host.name);
}

void shfs_rename(const shfs_path_t *from, const shfs_path_t *to) {
    size_t from_len = strlen(from->path);
    size_t to_len = strlen(to->path);
    if (from_len == 0 || to_len == 0) {
        mp_raise_OSError(MP_EBUSY);
    }
    if (to_len > from_len && to->path[from_len] == '/' && memcmp(to->path, from->path, from_len) == 0) {
        mp_raise_OSError(MP_EINVAL); // into itself
    }
    shfs_index_t index;
    index_load(&index);
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        shfs_kind_t from_kind = kind_with_index(&index, from, NULL);
        shfs_kind_t to_kind = kind_with_index(&index, to, NULL);
        if (from_kind == SHFS_NONE) {
            mp_raise_OSError(MP_ENOENT);
        }
        check_parent_with_index(&index, to);
        if (to_kind == SHFS_DIR) {
            mp_raise_OSError(MP_EEXIST);
        }
        if (from_kind == SHFS_FILE && to_kind == SHFS_FILE) {
            shfs_host_name_t to_host;
            shfs_host_name(to, &to_host);
            semihosting_remove(to_host.name);
        }
        // Rewrite the index: the entry itself and, for a directory, every
        // entry below it (whose host files are renamed too).
        vstr_t rewritten;
        vstr_init(&rewritten, index.len + 16);
        bool from_listed = false;
        index_entry_t entry = { 0 };
        while (index_next(&index, &entry)) {
            if (entry_is(&entry, to->path, to_len)) {
                continue; // replaced
            }
            vstr_add_byte(&rewritten, (byte)entry.kind);
            vstr_add_byte(&rewritten, ' ');
            if (entry_is(&entry, from->path, from_len) || entry_is_below(&entry, from->path, from_len)) {
                from_listed |= entry_is(&entry, from->path, from_len);
                const char *rest = entry.path + from_len;
                size_t rest_len = entry.path_len - from_len;
                if (to_len + rest_len >= MICROPY_ALLOC_PATH_MAX) {
                    mp_raise_OSError(MP_EINVAL);
                }
                size_t new_start = rewritten.len;
                vstr_add_strn(&rewritten, to->path, to_len);
                vstr_add_strn(&rewritten, rest, rest_len);
                if (entry.kind == 'f') {
                    rename_host_file(entry.path, entry.path_len, rewritten.buf + new_start, to_len + rest_len);
                }
            } else {
                vstr_add_strn(&rewritten, entry.path, entry.path_len);
            }
            vstr_add_byte(&rewritten, '\n');
        }
        if (!from_listed) {
            // A host file never recorded in the index.
            rename_host_file(from->path, from_len, to->path, to_len);
            vstr_add_str(&rewritten, "f ");
            vstr_add_strn(&rewritten, to->path, to_len);
            vstr_add_byte(&rewritten, '\n');
        }
        shfs_index_t updated = { rewritten.buf, rewritten.len };
        index_store(&updated);
        vstr_clear(&rewritten);
        nlr_pop();
        index_free(&index);
    } else {
        index_free(&index);
        nlr_jump(nlr.ret_val);
    }
}

void shfs_chdir(const shfs_path_t *path) {
    if (shfs_kind(path, NULL) != SHFS_DIR) {
        mp_raise_OSError(MP_ENOENT);
    }
    strcpy(shfs_cwd, path->path);
}

const char *shfs_getcwd(void) {
    shfs_cwd_display[0] = '/';
    strcpy(shfs_cwd_display + 1, shfs_cwd);
    return shfs_cwd_display;
}

mp_obj_t shfs_ilistdir(const shfs_path_t *dir) {
    shfs_index_t index;
    index_load(&index);
    size_t dir_len = strlen(dir->path);
    if (kind_with_index(&index, dir, NULL) != SHFS_DIR) {
        index_free(&index);
        mp_raise_OSError(MP_ENOENT);
    }
    mp_obj_t list = mp_obj_new_list(0, NULL);
    index_entry_t entry = { 0 };
    while (index_next(&index, &entry)) {
        if (!entry_is_below(&entry, dir->path, dir_len)) {
            continue;
        }
        const char *name = entry.path + (dir_len ? dir_len + 1 : 0);
        size_t name_len = entry.path_len - (size_t)(name - entry.path);
        if (memchr(name, '/', name_len) != NULL) {
            continue; // deeper down
        }
        uint32_t size = 0;
        if (entry.kind == 'f') {
            shfs_path_t path;
            memcpy(path.path, entry.path, entry.path_len);
            path.path[entry.path_len] = '\0';
            if (!host_file_size(&path, &size)) {
                continue; // removed on the host side
            }
        }
        mp_obj_t items[4] = {
            mp_obj_new_str(name, name_len),
            MP_OBJ_NEW_SMALL_INT(entry.kind == 'd' ? MODE_DIR : MODE_FILE),
            MP_OBJ_NEW_SMALL_INT(0),
            mp_obj_new_int_from_uint(size),
        };
        mp_obj_list_append(list, mp_obj_new_tuple(4, items));
    }
    index_free(&index);
    return list;
}

// ---- hooks of the MicroPython core: import and open() ----

mp_import_stat_t mp_import_stat(const char *guest_path) {
    shfs_path_t path;
    if (!shfs_try_resolve(guest_path, &path)) {
        return MP_IMPORT_STAT_NO_EXIST;
    }
    switch (shfs_kind(&path, NULL)) {
        case SHFS_DIR:
            return MP_IMPORT_STAT_DIR;
        case SHFS_FILE:
            return MP_IMPORT_STAT_FILE;
        default:
            return MP_IMPORT_STAT_NO_EXIST;
    }
}

typedef struct {
    int handle;
    uint16_t len;
    uint16_t pos;
    byte buf[64];
} shfs_reader_t;

static mp_uint_t reader_readbyte(void *data) {
    shfs_reader_t *reader = data;
    if (reader->pos >= reader->len) {
        reader->len = (uint16_t)semihosting_read(reader->handle, reader->buf, sizeof(reader->buf));
        reader->pos = 0;
        if (reader->len == 0) {
            return MP_READER_EOF;
        }
    }
    return reader->buf[reader->pos++];
}

static void reader_close(void *data) {
    shfs_reader_t *reader = data;
    semihosting_close(reader->handle);
    m_del_obj(shfs_reader_t, reader);
}

void mp_reader_new_file(mp_reader_t *reader, qstr filename) {
    shfs_path_t path;
    shfs_resolve(qstr_str(filename), &path);
    shfs_host_name_t host;
    shfs_host_name(&path, &host);
    int handle = path.path[0] ? semihosting_open(host.name, SEMIHOSTING_OPEN_READ) : -1;
    if (handle < 0) {
        mp_raise_OSError(MP_ENOENT);
    }
    shfs_reader_t *data = m_new_obj_maybe(shfs_reader_t);
    if (data == NULL) {
        semihosting_close(handle);
        mp_raise_OSError(MP_ENOMEM);
    }
    data->handle = handle;
    data->len = 0;
    data->pos = 0;
    reader->data = data;
    reader->readbyte = reader_readbyte;
    reader->close = reader_close;
}

static mp_obj_t builtin_open(size_t n_args, const mp_obj_t *args, mp_map_t *kwargs) {
    (void)kwargs; // encoding, buffering, ...: the only encoding is UTF-8, unbuffered
    const char *mode = n_args > 1 ? mp_obj_str_get_str(args[1]) : "r";
    return shfs_open(mp_obj_str_get_str(args[0]), mode);
}
MP_DEFINE_CONST_FUN_OBJ_KW(mp_builtin_open_obj, 1, builtin_open);
