/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.gateway;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Guards {@code /api/**}: a known {@code X-Api-Key} (401 otherwise) and at most {@code
 * shop.gateway.rate-limit.per-second} requests per key, with bursts of {@code burst} (429 with
 * Retry-After otherwise).
 */
@Component
class ApiKeyFilter extends OncePerRequestFilter {
  static final String HEADER = "X-Api-Key";
  private static final Logger LOG = LoggerFactory.getLogger(ApiKeyFilter.class);

  private final Set<String> keys;
  private final TokenBucket limiter;

  ApiKeyFilter(
      @Value("${shop.gateway.api-keys:demo-key}") List<String> keys,
      @Value("${shop.gateway.rate-limit.per-second:50}") double perSecond,
      @Value("${shop.gateway.rate-limit.burst:100}") double burst) {
    this.keys = Set.copyOf(keys);
    this.limiter = new TokenBucket(perSecond, burst, System::nanoTime);
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    return !request.getRequestURI().startsWith("/api/");
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String key = request.getHeader(HEADER);
    if (key == null || !keys.contains(key)) {
      LOG.warn("rejected {} {}: {} API key", request.getMethod(), request.getRequestURI(), key == null ? "no" : "unknown");
      write(response, 401, "unauthorized", "a valid " + HEADER + " header is required");
      return;
    }
    if (!limiter.tryAcquire(key)) {
      response.setHeader("Retry-After", Long.toString(limiter.retryAfterSeconds(key)));
      write(response, 429, "rate_limited", "too many requests for this API key, slow down");
      return;
    }
    chain.doFilter(request, response);
  }

  private static void write(HttpServletResponse response, int status, String error, String message) throws IOException {
    response.setStatus(status);
    response.setContentType("application/json");
    response.getWriter().write("{\"error\":\"" + error + "\",\"message\":\"" + message + "\"}");
  }
}
