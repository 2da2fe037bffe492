/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.auth;

import java.util.Locale;

/**
 * What a token may do. Roles are ordered: each includes the ones before it, so an operator can do
 * what a viewer can, and an admin what an operator can.
 */
public enum Role {
  /**
   * Only sends data (OTLP, remote write): an ingest token identifies a tenant, and once one
   * exists every ingest request needs a token. It reads nothing.
   */
  INGEST,
  /** Reads every query API and the dashboard; may also send data. */
  VIEWER,
  /** Also creates, schedules, runs and aborts chaos experiments. */
  OPERATOR,
  /** Also manages tokens and settings. */
  ADMIN;

  /** The names used in {@code @RolesAllowed}. */
  public static final String INGEST_NAME = "ingest";

  public static final String VIEWER_NAME = "viewer";

  public static final String OPERATOR_NAME = "operator";
  public static final String ADMIN_NAME = "admin";

  public boolean includes(Role other) {
    return compareTo(other) >= 0;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code ingest}, {@code viewer}, {@code operator} or {@code admin} (any case). */
  public static Role parse(String name) {
    for (Role r : values()) {
      if (r.name().equalsIgnoreCase(name)) {
        return r;
      }
    }
    throw new IllegalArgumentException(
        "unknown role '" + name + "': expected ingest, viewer, operator or admin");
  }
}
