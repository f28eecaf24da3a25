/*
 * icuuc.dll stand-in for running Windows Qt under wine. TEST-ONLY: NEVER SHIPPED.
 *
 * Why: Qt6Core.dll of the PySide6 6.11 Windows wheels imports 20 ucnv_* functions from
 * icuuc.dll, which Windows ships (since 10 1703) but wine 8 does not, so under wine
 * Qt6Core.dll -- and with it all of capdesk -- fails to load. Qt uses these functions
 * only for legacy text codecs beyond UTF-8/UTF-16/Latin-1 (QStringConverter with a
 * codec name it does not know itself), which capdesk never asks for.
 *
 * Every function here fails the way ICU reports "no such converter" (a NULL converter,
 * an error code, no names), so Qt takes its documented fall-back: it has only its
 * built-in codecs. Nothing here converts text. installer/wine/prepare_prefix.sh builds
 * this with Debian's x86_64-w64-mingw32-gcc and puts it into a wine prefix's system32;
 * the Windows bundle and installer never contain it (tests/installer asserts that).
 *
 * Signatures follow ICU4C's unicode/ucnv.h and ucnv_cb.h (unversioned names, as in
 * Windows' own icuuc.dll). The exported names are listed in icu_stub.def.
 */
#include <stddef.h>
#include <stdint.h>

typedef int32_t UErrorCode;
typedef uint16_t UChar;
typedef int32_t UChar32;
typedef int8_t UBool;
typedef struct UConverter UConverter;
typedef void *UConverterCallback; /* the callback function pointers, opaque here */

/* ICU's U_UNSUPPORTED_ERROR: "requested operation not supported in current context". */
#define STUB_ERROR ((UErrorCode)16)

static void fail(UErrorCode *err)
{
    /* ICU functions do nothing when *err already holds a failure; keep that rule. */
    if (err != NULL && *err <= 0)
        *err = STUB_ERROR;
}

UConverter *ucnv_open(const char *name, UErrorCode *err)
{
    (void)name;
    fail(err);
    return NULL;
}

void ucnv_close(UConverter *cnv) { (void)cnv; }

void ucnv_reset(UConverter *cnv) { (void)cnv; }

int8_t ucnv_getMaxCharSize(const UConverter *cnv)
{
    (void)cnv;
    return 1;
}

const char *ucnv_getName(const UConverter *cnv, UErrorCode *err)
{
    (void)cnv;
    fail(err);
    return NULL;
}

void ucnv_getToUCallBack(const UConverter *cnv, UConverterCallback *action, const void **context)
{
    (void)cnv;
    if (action != NULL)
        *action = NULL;
    if (context != NULL)
        *context = NULL;
}

void ucnv_getFromUCallBack(const UConverter *cnv, UConverterCallback *action, const void **context)
{
    ucnv_getToUCallBack(cnv, action, context);
}

void ucnv_setToUCallBack(UConverter *cnv, UConverterCallback action, const void *context,
                         UConverterCallback *old_action, const void **old_context,
                         UErrorCode *err)
{
    (void)cnv;
    (void)action;
    (void)context;
    ucnv_getToUCallBack(NULL, old_action, old_context);
    fail(err);
}

void ucnv_setFromUCallBack(UConverter *cnv, UConverterCallback action, const void *context,
                           UConverterCallback *old_action, const void **old_context,
                           UErrorCode *err)
{
    ucnv_setToUCallBack(cnv, action, context, old_action, old_context, err);
}

void ucnv_toUnicode(UConverter *cnv, UChar **target, const UChar *target_limit,
                    const char **source, const char *source_limit, int32_t *offsets,
                    UBool flush, UErrorCode *err)
{
    (void)cnv;
    (void)target;
    (void)target_limit;
    (void)source;
    (void)source_limit;
    (void)offsets;
    (void)flush;
    fail(err);
}

void ucnv_fromUnicode(UConverter *cnv, char **target, const char *target_limit,
                      const UChar **source, const UChar *source_limit, int32_t *offsets,
                      UBool flush, UErrorCode *err)
{
    (void)cnv;
    (void)target;
    (void)target_limit;
    (void)source;
    (void)source_limit;
    (void)offsets;
    (void)flush;
    fail(err);
}

int32_t ucnv_toUCountPending(const UConverter *cnv, UErrorCode *err)
{
    (void)cnv;
    fail(err);
    return 0;
}

int32_t ucnv_fromUCountPending(const UConverter *cnv, UErrorCode *err)
{
    (void)cnv;
    fail(err);
    return 0;
}

void ucnv_cbToUWriteUChars(void *args, const UChar *source, int32_t length,
                           int32_t offset_index, UErrorCode *err)
{
    (void)args;
    (void)source;
    (void)length;
    (void)offset_index;
    fail(err);
}

void ucnv_cbFromUWriteUChars(void *args, const UChar **source, const UChar *source_limit,
                             int32_t offset_index, UErrorCode *err)
{
    (void)args;
    (void)source;
    (void)source_limit;
    (void)offset_index;
    fail(err);
}

const char *ucnv_getStandardName(const char *name, const char *standard, UErrorCode *err)
{
    (void)name;
    (void)standard;
    fail(err);
    return NULL;
}

const char *ucnv_getAvailableName(int32_t n)
{
    (void)n;
    return NULL;
}

int32_t ucnv_countAvailable(void) { return 0; }

/* ICU's stock callbacks: Qt passes them to ucnv_set*CallBack, which fails first. */
void UCNV_TO_U_CALLBACK_SUBSTITUTE(const void *context, void *args, const char *units,
                                   int32_t length, int32_t reason, UErrorCode *err)
{
    (void)context;
    (void)args;
    (void)units;
    (void)length;
    (void)reason;
    fail(err);
}

void UCNV_FROM_U_CALLBACK_SUBSTITUTE(const void *context, void *args, const UChar *units,
                                     int32_t length, UChar32 code_point, int32_t reason,
                                     UErrorCode *err)
{
    (void)context;
    (void)args;
    (void)units;
    (void)length;
    (void)code_point;
    (void)reason;
    fail(err);
}
