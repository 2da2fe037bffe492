/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server;

import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.core.server.ServerFactory;
import io.dropwizard.core.server.SimpleServerFactory;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.jetty.ConnectorFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import org.eclipse.jetty.http.UriCompliance;

/**
 * Lets an encoded {@code /} ({@code %2F}) or {@code %} ({@code %25}) inside a path segment of the
 * query API reach the resource, decoded, as Jaeger's query service does: a service may be named
 * {@code slash/svc}, and the Jaeger UI asks for {@code /api/services/slash%2Fsvc/operations}.
 * Jetty 12 refuses such paths by default (400 "Ambiguous URI path separator/encoding"), in two
 * places: the connectors' URI compliance and the servlet layer.
 *
 * <p>Only these two ambiguities are allowed, and only under {@value #API_PREFIX}, where Jersey
 * matches on the encoded path and hands the decoded segment to the resource as a value. Encoded
 * dot segments ({@code %2e%2e}), empty segments and path parameters stay refused everywhere, and
 * any other path with {@code %2F} or {@code %25} still gets a 400, so no static or servlet path
 * ever sees a separator it did not have.
 */
final class EncodedPathSegments {
  static final String API_PREFIX = "/api/";

  private static final UriCompliance.Violation[] ALLOWED = {
    UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR, UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING
  };

  private EncodedPathSegments() {}

  /** Configures the application connectors of {@code server} and the application context. */
  static void allowInApiPaths(ServerFactory server, Environment environment) {
    for (ConnectorFactory connector : applicationConnectors(server)) {
      if (connector instanceof HttpConnectorFactory http) {
        // added to whatever the configuration asked for, which keeps its other choices
        UriCompliance configured =
            http.getUriCompliance() == null ? UriCompliance.DEFAULT : http.getUriCompliance();
        http.setUriCompliance(configured.with("FAULTLINE_API", ALLOWED));
      }
    }
    environment.getApplicationContext().getServletHandler().setDecodeAmbiguousURIs(true);
    environment
        .servlets()
        .addFilter("encoded-separators-outside-api", new OutsideApi())
        .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
  }

  private static List<ConnectorFactory> applicationConnectors(ServerFactory server) {
    List<ConnectorFactory> out = new ArrayList<>();
    if (server instanceof DefaultServerFactory d) {
      out.addAll(d.getApplicationConnectors());
    } else if (server instanceof SimpleServerFactory s) {
      out.add(s.getConnector());
    }
    return out;
  }

  /** Refuses {@code %2F} and {@code %25} in a path outside {@value #API_PREFIX}, as Jetty did. */
  static final class OutsideApi implements Filter {
    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
        throws IOException, ServletException {
      HttpServletRequest http = (HttpServletRequest) request;
      String raw = http.getRequestURI();
      String path = raw.substring(Math.min(raw.length(), http.getContextPath().length()));
      if (!path.startsWith(API_PREFIX) && ambiguous(raw)) {
        ((HttpServletResponse) response)
            .sendError(
                HttpServletResponse.SC_BAD_REQUEST,
                "An encoded '/' or '%' (%2F, %25) in the path is accepted only in query API"
                    + " paths under " + API_PREFIX + "; decode it or send it as a query parameter");
        return;
      }
      chain.doFilter(request, response);
    }

    static boolean ambiguous(String rawPath) {
      String lower = rawPath.toLowerCase(Locale.ROOT);
      return lower.contains("%2f") || lower.contains("%25");
    }
  }
}
