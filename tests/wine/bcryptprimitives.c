/*
 * A stand-in for Windows' bcryptprimitives.dll, for running pejling.exe under Wine 8
 * (Debian 12's), which lacks the DLL. Rust's standard library (1.78 and later) takes its
 * random bytes from ProcessPrng in bcryptprimitives.dll, which every Windows 10 and 11
 * has; Wine added it in version 9. This file is used by the Wine smoke test only and is
 * never shipped: it implements ProcessPrng with RtlGenRandom (advapi32's
 * SystemFunction036), which Wine 8 has.
 *
 * Built by the test: x86_64-w64-mingw32-gcc -shared -o bcryptprimitives.dll \
 *   bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
