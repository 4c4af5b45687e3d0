#include <string.h>
#include "semihosting.h"

#define SYS_OPEN (0x01)
#define SYS_CLOSE (0x02)
#define SYS_WRITE (0x05)
#define SYS_READ (0x06)
#define SYS_SEEK (0x0A)
#define SYS_FLEN (0x0C)
#define SYS_REMOVE (0x0E)
#define SYS_RENAME (0x0F)
#define SYS_ERRNO (0x13)
#define SYS_GET_CMDLINE (0x15)
#define SYS_EXIT (0x18)
#define SYS_EXIT_EXTENDED (0x20)

#define ADP_STOPPED_APPLICATION_EXIT (0x20026)

static int32_t semihosting_call(uint32_t operation, const void *argument) {
    register uint32_t r0 __asm__ ("r0") = operation;
    register const void *r1 __asm__ ("r1") = argument;
    __asm volatile ("bkpt 0xab" : "+r" (r0) : "r" (r1) : "memory");
    return (int32_t)r0;
}

int semihosting_open(const char *name, int mode) {
    uint32_t args[3] = { (uint32_t)name, (uint32_t)mode, strlen(name) };
    return semihosting_call(SYS_OPEN, args);
}

int semihosting_close(int handle) {
    uint32_t args[1] = { (uint32_t)handle };
    return semihosting_call(SYS_CLOSE, args);
}

size_t semihosting_read(int handle, void *buf, size_t len) {
    uint32_t args[3] = { (uint32_t)handle, (uint32_t)buf, len };
    // SYS_READ returns the number of bytes *not* read.
    int32_t not_read = semihosting_call(SYS_READ, args);
    return (not_read < 0 || (size_t)not_read > len) ? 0 : len - (size_t)not_read;
}

size_t semihosting_write(int handle, const void *buf, size_t len) {
    uint32_t args[3] = { (uint32_t)handle, (uint32_t)buf, len };
    // SYS_WRITE returns the number of bytes *not* written.
    int32_t not_written = semihosting_call(SYS_WRITE, args);
    return (not_written < 0 || (size_t)not_written > len) ? 0 : len - (size_t)not_written;
}

int semihosting_seek(int handle, uint32_t position) {
    uint32_t args[2] = { (uint32_t)handle, position };
    return semihosting_call(SYS_SEEK, args);
}

int32_t semihosting_flen(int handle) {
    uint32_t args[1] = { (uint32_t)handle };
    return semihosting_call(SYS_FLEN, args);
}

int semihosting_remove(const char *name) {
    uint32_t args[2] = { (uint32_t)name, strlen(name) };
    return semihosting_call(SYS_REMOVE, args);
}

int semihosting_rename(const char *from, const char *to) {
    uint32_t args[4] = { (uint32_t)from, strlen(from), (uint32_t)to, strlen(to) };
    return semihosting_call(SYS_RENAME, args);
}

int semihosting_errno(void) {
    return semihosting_call(SYS_ERRNO, NULL);
}

int semihosting_get_cmdline(char *buf, size_t len) {
    uint32_t args[2] = { (uint32_t)buf, len };
    int result = semihosting_call(SYS_GET_CMDLINE, args);
    if (result == 0 && args[1] < len) {
        buf[args[1]] = '\0';
    }
    return result;
}

void semihosting_exit(int code) {
    uint32_t args[2] = { ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code };
    semihosting_call(SYS_EXIT_EXTENDED, args);
    // Only reached if the host lacks SYS_EXIT_EXTENDED: exit 0 or 1.
    semihosting_call(SYS_EXIT, (const void *)(code == 0 ? ADP_STOPPED_APPLICATION_EXIT : 0x20024));
    for (;;) {
    }
}
