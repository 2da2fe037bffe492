/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.traffic;

/** The few calls a shopper makes; one HTTP request each. */
interface ShopApi {
  /** A response: status and body (empty when the call failed before a response). */
  record Response(int status, String body) {
    static final int NO_RESPONSE = 0;
  }

  Response get(String path, String apiKey);

  Response post(String path, String json, String apiKey);
}
