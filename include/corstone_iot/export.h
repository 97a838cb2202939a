/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file export.h
 * @brief Symbol export marker for the public API.
 */
#ifndef CORSTONE_IOT_EXPORT_H
#define CORSTONE_IOT_EXPORT_H

/**
 * @brief Marks a function that the shared library exports.
 *
 * The library is built with hidden visibility; only functions declared with
 * IOT_API are part of its binary interface.
 */
#if defined(__GNUC__) || defined(__clang__)
#define IOT_API __attribute__((visibility("default")))
#else
#define IOT_API
#endif

#endif /* CORSTONE_IOT_EXPORT_H */
