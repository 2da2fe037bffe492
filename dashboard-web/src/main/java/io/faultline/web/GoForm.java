/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web;

import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import java.util.ArrayList;
import java.util.List;

/**
 * A request's parameters as Go's {@code Request.Form} merges them, which is how Prometheus and
 * Loki read theirs: a POST's form body first, then the URL's query. The APIs that speak their
 * protocols extend this with their own parsing of times and durations.
 */
public class GoForm {
  private final MultivaluedMap<String, String> query;
  private final MultivaluedMap<String, String> form;

  /** @param form the form body of a POST; null for a GET */
  protected GoForm(MultivaluedMap<String, String> query, MultivaluedMap<String, String> form) {
    this.query = query;
    this.form = form == null ? new MultivaluedHashMap<>() : form;
  }

  /** The first value (the body's before the URL's), or null when absent. */
  public String value(String name) {
    String v = form.getFirst(name);
    return v != null ? v : query.getFirst(name);
  }

  /** Every value, the body's first. */
  public List<String> values(String name) {
    List<String> out = new ArrayList<>();
    List<String> f = form.get(name);
    if (f != null) {
      out.addAll(f);
    }
    List<String> q = query.get(name);
    if (q != null) {
      out.addAll(q);
    }
    return out;
  }
}
