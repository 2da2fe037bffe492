/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.health;

/** What a component says about itself: cheap to compute, safe to ask often. */
public record Health(boolean isHealthy, String message) {
  private static final Health HEALTHY = new Health(true, "ok");

  public static Health ok() {
    return HEALTHY;
  }

  public static Health unhealthy(String message) {
    return new Health(false, message);
  }
}
