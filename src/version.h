/*
 * version.h - Runnel's version string.
 */
#ifndef RN_VERSION_H
#define RN_VERSION_H

#define RUNNEL_VERSION "0.1.0"

#endif
