// Typed, prefixed wrappers for the libcurl calls Swift cannot import (variadic setopt/getinfo),
// plus a once-only global initialiser. Each function maps 1:1 to one curl call so that all
// logic stays in the Swift module CurlClient.
#pragma once
#include <curl/curl.h>

/// Signature of curl's write and header callbacks.
typedef size_t (*threepay_curl_data_callback)(char *data, size_t size, size_t count, void *user);

/// Runs curl_global_init(CURL_GLOBAL_DEFAULT) exactly once per process (pthread_once) and returns
/// its result on every call. Call it before starting worker threads.
CURLcode threepay_curl_global_init(void);

CURLcode threepay_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode threepay_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode threepay_curl_setopt_str(CURL *handle, CURLoption option, const char *value);
CURLcode threepay_curl_setopt_ptr(CURL *handle, CURLoption option, void *value);
CURLcode threepay_curl_setopt_callback(CURL *handle, CURLoption option, threepay_curl_data_callback callback);
CURLcode threepay_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
