#include <pthread.h>
#include "CCurlShims.h"

static pthread_once_t threepay_curl_once = PTHREAD_ONCE_INIT;
static CURLcode threepay_curl_init_result = CURLE_FAILED_INIT;

static void threepay_curl_init_once(void) {
    threepay_curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

CURLcode threepay_curl_global_init(void) {
    pthread_once(&threepay_curl_once, threepay_curl_init_once);
    return threepay_curl_init_result;
}

CURLcode threepay_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode threepay_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode threepay_curl_setopt_str(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode threepay_curl_setopt_ptr(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode threepay_curl_setopt_callback(CURL *handle, CURLoption option, threepay_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

CURLcode threepay_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
