// File objects of open(): binary (FileIO) and text (TextIOWrapper) streams
// over a semihosting handle.
#include <string.h>
#include "shfs.h"
#include "semihosting.h"
#include "py/mperrno.h"
#include "py/runtime.h"
#include "py/stream.h"

typedef struct {
    mp_obj_base_t base;
    int handle; // -1 once closed
    uint32_t position; // semihosting has no "tell"
} shfs_file_obj_t;

static const mp_obj_type_t shfs_type_fileio;
static const mp_obj_type_t shfs_type_textio;

static shfs_file_obj_t *file_check_open(mp_obj_t self_in, int *errcode) {
    shfs_file_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->handle < 0) {
        *errcode = MP_EBADF;
        return NULL;
    }
    return self;
}

static mp_uint_t file_read(mp_obj_t self_in, void *buf, mp_uint_t size, int *errcode) {
    shfs_file_obj_t *self = file_check_open(self_in, errcode);
    if (self == NULL) {
        return MP_STREAM_ERROR;
    }
    size_t n = semihosting_read(self->handle, buf, size);
    self->position += n;
    return n;
}

static mp_uint_t file_write(mp_obj_t self_in, const void *buf, mp_uint_t size, int *errcode) {
    shfs_file_obj_t *self = file_check_open(self_in, errcode);
    if (self == NULL) {
        return MP_STREAM_ERROR;
    }
    size_t n = semihosting_write(self->handle, buf, size);
    self->position += n;
    if (n != size) {
        *errcode = MP_EIO;
        return MP_STREAM_ERROR;
    }
    return n;
}

static mp_uint_t file_ioctl(mp_obj_t self_in, mp_uint_t request, uintptr_t arg, int *errcode) {
    shfs_file_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (request == MP_STREAM_CLOSE) {
        if (self->handle >= 0) {
            semihosting_close(self->handle);
            self->handle = -1;
        }
        return 0;
    }
    if (file_check_open(self_in, errcode) == NULL) {
        return MP_STREAM_ERROR;
    }
    switch (request) {
        case MP_STREAM_FLUSH:
            return 0;
        case MP_STREAM_SEEK: {
            struct mp_stream_seek_t *seek = (struct mp_stream_seek_t *)arg;
            mp_off_t base = 0;
            if (seek->whence == MP_SEEK_CUR) {
                base = (mp_off_t)self->position;
            } else if (seek->whence == MP_SEEK_END) {
                base = semihosting_flen(self->handle);
            }
            mp_off_t target = base + seek->offset;
            if (target < 0 || semihosting_seek(self->handle, (uint32_t)target) != 0) {
                *errcode = MP_EINVAL;
                return MP_STREAM_ERROR;
            }
            self->position = (uint32_t)target;
            seek->offset = target;
            return 0;
        }
        default:
            *errcode = MP_EINVAL;
            return MP_STREAM_ERROR;
    }
}

static void file_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind) {
    shfs_file_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_printf(print, "<io.%s %d>", mp_obj_get_type_str(self_in), self->handle);
}

static const mp_rom_map_elem_t file_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_read), MP_ROM_PTR(&mp_stream_read_obj) },
    { MP_ROM_QSTR(MP_QSTR_readinto), MP_ROM_PTR(&mp_stream_readinto_obj) },
    { MP_ROM_QSTR(MP_QSTR_readline), MP_ROM_PTR(&mp_stream_unbuffered_readline_obj) },
    { MP_ROM_QSTR(MP_QSTR_readlines), MP_ROM_PTR(&mp_stream_unbuffered_readlines_obj) },
    { MP_ROM_QSTR(MP_QSTR_write), MP_ROM_PTR(&mp_stream_write_obj) },
    { MP_ROM_QSTR(MP_QSTR_flush), MP_ROM_PTR(&mp_stream_flush_obj) },
    { MP_ROM_QSTR(MP_QSTR_close), MP_ROM_PTR(&mp_stream_close_obj) },
    { MP_ROM_QSTR(MP_QSTR_seek), MP_ROM_PTR(&mp_stream_seek_obj) },
    { MP_ROM_QSTR(MP_QSTR_tell), MP_ROM_PTR(&mp_stream_tell_obj) },
    { MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&mp_stream_close_obj) },
    { MP_ROM_QSTR(MP_QSTR___enter__), MP_ROM_PTR(&mp_identity_obj) },
    { MP_ROM_QSTR(MP_QSTR___exit__), MP_ROM_PTR(&mp_stream___exit___obj) },
};
static MP_DEFINE_CONST_DICT(file_locals_dict, file_locals_dict_table);

static const mp_stream_p_t fileio_stream_p = {
    .read = file_read,
    .write = file_write,
    .ioctl = file_ioctl,
};

static MP_DEFINE_CONST_OBJ_TYPE(
    shfs_type_fileio,
    MP_QSTR_FileIO,
    MP_TYPE_FLAG_ITER_IS_STREAM,
    print, file_print,
    protocol, &fileio_stream_p,
    locals_dict, &file_locals_dict
    );

static const mp_stream_p_t textio_stream_p = {
    .read = file_read,
    .write = file_write,
    .ioctl = file_ioctl,
    .is_text = true,
};

static MP_DEFINE_CONST_OBJ_TYPE(
    shfs_type_textio,
    MP_QSTR_TextIOWrapper,
    MP_TYPE_FLAG_ITER_IS_STREAM,
    print, file_print,
    protocol, &textio_stream_p,
    locals_dict, &file_locals_dict
    );

mp_obj_t shfs_open(const char *guest_path, const char *mode) {
    char access = 'r';
    bool update = false;
    bool text = true;
    for (const char *m = mode; *m; ++m) {
        switch (*m) {
            case 'r':
            case 'w':
            case 'a':
            case 'x':
                access = *m;
                break;
            case '+':
                update = true;
                break;
            case 'b':
                text = false;
                break;
            case 't':
                text = true;
                break;
            default:
                mp_raise_ValueError(MP_ERROR_TEXT("invalid mode"));
        }
    }
    shfs_path_t path;
    shfs_resolve(guest_path, &path);
    uint32_t size = 0;
    shfs_kind_t kind = shfs_kind(&path, &size);
    if (kind == SHFS_DIR) {
        mp_raise_OSError(MP_EISDIR);
    }
    int semihosting_mode;
    switch (access) {
        case 'r':
            if (kind == SHFS_NONE) {
                mp_raise_OSError(MP_ENOENT);
            }
            semihosting_mode = update ? SEMIHOSTING_OPEN_READ_UPDATE : SEMIHOSTING_OPEN_READ;
            break;
        case 'x':
            if (kind != SHFS_NONE) {
                mp_raise_OSError(MP_EEXIST);
            }
            MP_FALLTHROUGH
        case 'w':
            semihosting_mode = update ? SEMIHOSTING_OPEN_WRITE_UPDATE : SEMIHOSTING_OPEN_WRITE;
            break;
        default:
            // QEMU 7.2 truncates files opened in "ab" mode: append by opening
            // an existing file for update and writing at its end.
            semihosting_mode = kind == SHFS_FILE ? SEMIHOSTING_OPEN_READ_UPDATE : SEMIHOSTING_OPEN_WRITE_UPDATE;
            break;
    }
    if (access != 'r') {
        shfs_check_parent(&path);
    }
    shfs_file_obj_t *file = mp_obj_malloc_with_finaliser(shfs_file_obj_t, text ? &shfs_type_textio : &shfs_type_fileio);
    file->handle = -1;
    shfs_host_name_t host;
    shfs_host_name(&path, &host);
    int handle = semihosting_open(host.name, semihosting_mode);
    if (handle < 0) {
        int error = semihosting_errno();
        mp_raise_OSError(error > 0 ? error : MP_EIO);
    }
    file->handle = handle;
    file->position = 0;
    if (access == 'a' && size > 0) {
        semihosting_seek(handle, size);
        file->position = size;
    }
    if (access != 'r') {
        shfs_add_file(&path);
    }
    return MP_OBJ_FROM_PTR(file);
}
