// A small file system on top of Arm semihosting.
//
// The guest sees a tree rooted at "/" whose files live, flat, in the host
// directory QEMU runs in (the "semihosting directory"). Semihosting can open,
// read, write, remove and rename files, but cannot list or create
// directories, so:
//   - a guest path maps to one host file name in that directory: the path
//     without its leading "/", with "%" written as "%25" and "/" as "%2F"
//     (so "/model.tflite" is host "model.tflite", "/lib/a.py" is "lib%2Fa.py");
//     no host name can contain "/", so no guest path reaches outside;
//   - directories exist only in an index file, "%index" (a name no guest path
//     maps to), which also lists the files for os.listdir(). It holds one
//     line per entry: "d <path>" or "f <path>", the path without leading "/".
//     Files put into the directory by the host without an index line can be
//     opened but are not listed.
// ".." is rejected rather than resolved, and so are ":" and "\", which
// semihosting hosts may interpret.
#ifndef TINYML_BOARDS_QEMU_SHFS_H
#define TINYML_BOARDS_QEMU_SHFS_H

#include "py/obj.h"

#define SHFS_INDEX_NAME "%index"

typedef enum {
    SHFS_NONE,
    SHFS_FILE,
    SHFS_DIR,
} shfs_kind_t;

// Canonical path: components joined by "/", no leading "/"; "" is the root.
typedef struct {
    char path[MICROPY_ALLOC_PATH_MAX];
} shfs_path_t;

// Host file name of a canonical path (3 bytes per path byte at most).
typedef struct {
    char name[3 * MICROPY_ALLOC_PATH_MAX];
} shfs_host_name_t;

// Resets the current directory to "/" (at soft reset).
void shfs_init(void);

// Resolve a guest path (absolute, or relative to the current directory).
// shfs_resolve raises OSError; shfs_try_resolve returns false instead.
void shfs_resolve(const char *guest_path, shfs_path_t *out);
bool shfs_try_resolve(const char *guest_path, shfs_path_t *out);
void shfs_host_name(const shfs_path_t *path, shfs_host_name_t *out);

// What a path is; *size gets a file's size when size is not NULL.
shfs_kind_t shfs_kind(const shfs_path_t *path, uint32_t *size);

// Raises OSError(ENOENT) unless the parent directory of path exists.
void shfs_check_parent(const shfs_path_t *path);
// Records a file created by the guest in the index.
void shfs_add_file(const shfs_path_t *path);

void shfs_mkdir(const shfs_path_t *path);
void shfs_rmdir(const shfs_path_t *path);
void shfs_remove(const shfs_path_t *path);
void shfs_rename(const shfs_path_t *from, const shfs_path_t *to);
void shfs_chdir(const shfs_path_t *path);
const char *shfs_getcwd(void); // "/" or "/a/b"

// List of (name, type, inode, size) tuples for the entries of a directory.
mp_obj_t shfs_ilistdir(const shfs_path_t *dir);

// open(): the file object type of shfs_file.c.
mp_obj_t shfs_open(const char *guest_path, const char *mode);

#endif
