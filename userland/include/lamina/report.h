/* lamina/report.h: how the kernel-call test programs report what happened.
 *
 * Each result is one line "name = value" on the console, the form the Python tests
 * read back (tests/reported.py).
 */
#ifndef LAMINA_REPORT_H
#define LAMINA_REPORT_H

#include <lamina/abi.h>

/* Print one result line: "name = value". */
void report(const char *name, long value);

/* dom's domain_info, or all zeros if there is no such domain. */
struct domain_info domain_info_of(long dom);

#endif /* LAMINA_REPORT_H */
