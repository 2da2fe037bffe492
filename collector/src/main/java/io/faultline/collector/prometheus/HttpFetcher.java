/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.GZIPInputStream;

/**
 * Scrapes over HTTP with the JDK client, asking for OpenMetrics first and the text format second
 * as Prometheus does. The whole exchange (connect, headers, body) is bounded by the target's
 * timeout, and the body by the size limit, counted as it arrives so an endless body is cut off.
 */
final class HttpFetcher implements Fetcher {
  static final String ACCEPT =
      "application/openmetrics-text;version=1.0.0,"
          + "application/openmetrics-text;version=0.0.1;q=0.75,"
          + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

  /** One client per TLS setting: the JVM's trust, a CA file, or none. */
  private final Map<ScrapeAccess.Tls, HttpClient> clients = new ConcurrentHashMap<>();

  HttpFetcher() {}

  private HttpClient client(ScrapeAccess.Tls tls) throws IOException {
    HttpClient c = clients.get(tls);
    if (c == null) {
      HttpClient.Builder b =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .followRedirects(HttpClient.Redirect.NORMAL)
              .connectTimeout(Duration.ofSeconds(10));
      if (tls.caFile() != null || tls.insecureSkipVerify()) {
        b.sslContext(ScrapeTls.context(tls));
      }
      c = b.build();
      HttpClient raced = clients.putIfAbsent(tls, c);
      if (raced != null) {
        c = raced;
      }
    }
    return c;
  }

  @Override
  public Fetched fetch(ScrapeTarget target, long maxBytes) throws IOException {
    HttpClient client = client(target.access().tls());
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(target.uri())
            .timeout(target.timeout())
            .header("Accept", ACCEPT)
            .header("Accept-Encoding", "gzip")
            .header("User-Agent", "Faultline")
            .header(
                "X-Prometheus-Scrape-Timeout-Seconds",
                java.math.BigDecimal.valueOf(target.timeout().toMillis(), 3)
                    .stripTrailingZeros()
                    .toPlainString())
            .GET();
    if (target.access().authorization() != null) {
      builder.header("Authorization", target.access().authorization());
    }
    HttpRequest request = builder.build();
    CompletableFuture<HttpResponse<byte[]>> call =
        client.sendAsync(request, info -> new BoundedBody(maxBytes));
    HttpResponse<byte[]> response;
    try {
      response = call.get(target.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new IOException("the scrape timed out after " + target.timeout().toMillis() + "ms");
    } catch (InterruptedException e) {
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while scraping", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw cause instanceof IOException io
          ? (io.getMessage() == null ? new IOException(io.toString(), io) : io)
          : new IOException(cause.toString(), cause);
    }
    if (response.statusCode() != 200) {
      throw new IOException("server returned HTTP status " + response.statusCode());
    }
    byte[] body = response.body();
    String encoding = response.headers().firstValue("Content-Encoding").orElse("");
    if (encoding.toLowerCase(Locale.ROOT).contains("gzip")) {
      body = gunzip(body, maxBytes);
    }
    return new Fetched(response.headers().firstValue("Content-Type").orElse(null), body);
  }

  private static byte[] gunzip(byte[] body, long maxBytes) throws IOException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      long total = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        total += n;
        if (total > maxBytes) {
          throw tooLarge(maxBytes);
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    }
  }

  private static IOException tooLarge(long maxBytes) {
    return new IOException(
        "the response body is larger than the body size limit of " + maxBytes + " bytes");
  }

  /** Collects the body, failing as soon as it passes the limit. */
  private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final long max;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private Flow.Subscription subscription;

    BoundedBody(long max) {
      this.max = max;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer b : items) {
        if ((long) buffer.size() + b.remaining() > max) {
          subscription.cancel();
          result.completeExceptionally(tooLarge(max));
          return;
        }
        byte[] chunk = new byte[b.remaining()];
        b.get(chunk);
        buffer.write(chunk, 0, chunk.length);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(buffer.toByteArray());
    }
  }
}
