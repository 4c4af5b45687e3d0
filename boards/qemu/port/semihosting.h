// Arm semihosting calls (QEMU: -semihosting-config enable=on,target=native).
// Only file and exit operations are used; never SYS_SYSTEM.
#ifndef TINYML_BOARDS_QEMU_SEMIHOSTING_H
#define TINYML_BOARDS_QEMU_SEMIHOSTING_H

#include <stddef.h>
#include <stdint.h>

// Open modes of SYS_OPEN (always the binary variants).
#define SEMIHOSTING_OPEN_READ (1)         // "rb"
#define SEMIHOSTING_OPEN_READ_UPDATE (3)  // "r+b"
#define SEMIHOSTING_OPEN_WRITE (5)        // "wb"
#define SEMIHOSTING_OPEN_WRITE_UPDATE (7) // "w+b"

// Returns a handle, or -1.
int semihosting_open(const char *name, int mode);
int semihosting_close(int handle);
// Return the number of bytes transferred.
size_t semihosting_read(int handle, void *buf, size_t len);
size_t semihosting_write(int handle, const void *buf, size_t len);
// Returns 0 on success.
int semihosting_seek(int handle, uint32_t position);
// Returns the length of the file, or -1.
int32_t semihosting_flen(int handle);
// Return 0 on success.
int semihosting_remove(const char *name);
int semihosting_rename(const char *from, const char *to);
// The host's errno of the last failed call.
int semihosting_errno(void);
// Copies the command line (QEMU: the -semihosting-config arg= values joined
// by spaces) into buf; returns 0 on success.
int semihosting_get_cmdline(char *buf, size_t len);
// Ends the QEMU run with the given exit code.
void semihosting_exit(int code) __attribute__((noreturn));

#endif
