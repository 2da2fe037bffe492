/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which HTTP requests an HTTP toxic applies to. Every given condition must hold.
 *
 * @param methods request methods (upper case); empty means any
 * @param path a path pattern: without {@code *} a prefix ({@code /products} matches {@code
 *     /products/KB-001}); with {@code *} a glob where {@code *} matches within one segment and
 *     {@code **} across segments; null means any path. The query string is ignored.
 * @param headers header name (lower case) to required value; the value {@code *} only requires the
 *     header to be present
 * @param percentage share of the matching requests hit, 0 to 100
 * @param baggage a W3C baggage member the request must carry: {@code key=value} or just {@code
 *     key}; e.g. {@code chaos=run-42} so that only requests the run marked are hit; null means any
 */
public record HttpMatch(
    Set<String> methods, String path, Map<String, String> headers, double percentage, String baggage) {

  /** Every request. */
  public static final HttpMatch ALL = new HttpMatch(Set.of(), null, Map.of(), 100, null);

  public HttpMatch {
    methods = Set.copyOf(methods);
    headers = Map.copyOf(headers);
  }

  boolean matches(String method, String target, Map<String, List<String>> requestHeaders) {
    if (!methods.isEmpty() && !methods.contains(method.toUpperCase(Locale.ROOT))) {
      return false;
    }
    if (path != null && !pathMatches(path, stripQuery(target))) {
      return false;
    }
    for (Map.Entry<String, String> h : headers.entrySet()) {
      List<String> values = requestHeaders.get(h.getKey());
      if (values == null || values.isEmpty()) {
        return false;
      }
      if (!h.getValue().equals("*") && values.stream().noneMatch(v -> v.trim().equals(h.getValue()))) {
        return false;
      }
    }
    return baggage == null || baggageMatches(baggage, requestHeaders.get("baggage"));
  }

  static String stripQuery(String target) {
    int q = target.indexOf('?');
    return q < 0 ? target : target.substring(0, q);
  }

  static boolean pathMatches(String pattern, String path) {
    if (pattern.indexOf('*') < 0) {
      if (!path.startsWith(pattern)) {
        return false;
      }
      // "/products" must not match "/productsX"
      return pattern.endsWith("/") || path.length() == pattern.length() || path.charAt(pattern.length()) == '/';
    }
    return globToRegex(pattern).matcher(path).matches();
  }

  static Pattern globToRegex(String glob) {
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*') {
        if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
          re.append(".*");
          i++;
        } else {
          re.append("[^/]*");
        }
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString());
  }

  /** W3C baggage: comma-separated {@code key=value;properties} members, values percent-encoded. */
  static boolean baggageMatches(String wanted, List<String> headerValues) {
    if (headerValues == null) {
      return false;
    }
    int eq = wanted.indexOf('=');
    String wantKey = eq < 0 ? wanted : wanted.substring(0, eq);
    String wantValue = eq < 0 ? null : wanted.substring(eq + 1);
    for (String header : headerValues) {
      for (String member : header.split(",")) {
        String m = member;
        int semi = m.indexOf(';');
        if (semi >= 0) {
          m = m.substring(0, semi);
        }
        int e = m.indexOf('=');
        if (e < 0) {
          continue;
        }
        String key = m.substring(0, e).trim();
        String value = java.net.URLDecoder.decode(m.substring(e + 1).trim(), java.nio.charset.StandardCharsets.UTF_8);
        if (key.equals(wantKey) && (wantValue == null || value.equals(wantValue))) {
          return true;
        }
      }
    }
    return false;
  }
}
