/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import java.util.Locale;

/** Which way the bytes a toxic acts on travel, as in Toxiproxy's {@code stream}. */
public enum Direction {
  /** From the client through the proxy to the upstream service (requests). */
  UPSTREAM,
  /** From the upstream service back to the client (responses). */
  DOWNSTREAM;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The direction for {@code upstream} or {@code downstream}, or null for anything else. */
  public static Direction parse(String s) {
    for (Direction d : values()) {
      if (d.wireName().equalsIgnoreCase(s)) {
        return d;
      }
    }
    return null;
  }
}
