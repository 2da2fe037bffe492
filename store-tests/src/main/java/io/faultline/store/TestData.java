/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.store;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Canned telemetry shared by the contract suites and store tests, as OTLP protos. Everything is
 * relative to the fixed {@link #NOW}: stores under test must use {@link #CLOCK} so that retention
 * and "recent" mean the same in every run.
 *
 * <p>The traces:
 *
 * <ul>
 *   <li>{@link #checkoutTrace()} at {@code NOW - 10 min}: frontend → checkout → payments (ERROR,
 *       with an exception event) and checkout → mailer over a producer/consumer pair; every span
 *       kind, every attribute type, events, links, two scopes in one resource, resource and scope
 *       schema URLs, and two {@code ResourceSpans} with the same resource (stores merge them).
 *   <li>{@link #browseTrace()} at {@code NOW - 5 min}: frontend → catalog, short and successful.
 *   <li>{@link #splitTrace()} at {@code NOW - 2 min}: frontend (slow, no tags) → cart (fast, with
 *       {@code cache.hit=false}); conditions that hold only when split over both spans match
 *       nothing.
 * </ul>
 */
public final class TestData {

  /** The fixed "now" of every test. */
  public static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");

  /** A clock fixed at {@link #NOW}. */
  public static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  public static final String RESOURCE_SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0";
  public static final String SCOPE_SCHEMA_URL = "https://opentelemetry.io/schemas/1.24.0";

  public static final byte[] CHECKOUT_TRACE_ID = traceId(1);
  public static final byte[] BROWSE_TRACE_ID = traceId(2);
  public static final byte[] SPLIT_TRACE_ID = traceId(3);

  /** A trace that links from the mailer span and is never stored. */
  public static final byte[] LINKED_TRACE_ID = traceId(99);

  public static final Instant CHECKOUT_START = NOW.minus(Duration.ofMinutes(10));
  public static final Instant BROWSE_START = NOW.minus(Duration.ofMinutes(5));
  public static final Instant SPLIT_START = NOW.minus(Duration.ofMinutes(2));

  private static final InstrumentationScope HTTP_SCOPE =
      InstrumentationScope.newBuilder()
          .setName("io.opentelemetry.tomcat-10.0")
          .setVersion("2.31.1-alpha")
          .addAttributes(string("scope.owner", "web-team"))
          .build();
  private static final InstrumentationScope GRPC_SCOPE =
      InstrumentationScope.newBuilder()
          .setName("io.opentelemetry.grpc-1.6")
          .setVersion("2.31.1")
          .build();
  private static final InstrumentationScope KAFKA_SCOPE =
      InstrumentationScope.newBuilder().setName("io.opentelemetry.kafka-clients-2.6").build();
  private static final InstrumentationScope MANUAL_SCOPE =
      InstrumentationScope.newBuilder().setName("com.example.mailer").setVersion("1.0").build();

  private TestData() {}

  /** A deterministic 16-byte trace id that differs for each {@code n}. */
  public static byte[] traceId(long n) {
    byte[] id = new byte[16];
    long hi = 0x5b8efff798038103L ^ (n * 0x9E3779B97F4A7C15L);
    long lo = 0xd269b633813fc60cL + n;
    for (int i = 0; i < 8; i++) {
      id[i] = (byte) (hi >>> (56 - 8 * i));
      id[8 + i] = (byte) (lo >>> (56 - 8 * i));
    }
    return id;
  }

  /** A deterministic 8-byte span id, unique per trace number and span number. */
  public static ByteString spanId(long trace, int span) {
    long v = 0x00f067aa0ba902b7L + trace * 1000 + span;
    byte[] id = new byte[8];
    for (int i = 0; i < 8; i++) {
      id[i] = (byte) (v >>> (56 - 8 * i));
    }
    return ByteString.copyFrom(id);
  }

  /**
   * A resource with {@code service.name} and {@link #RESOURCE_SCHEMA_URL} plus extra attributes.
   */
  public static Resource resource(String service, KeyValue... attributes) {
    Resource.Builder r = Resource.newBuilder().addAttributes(string("service.name", service));
    for (KeyValue kv : attributes) {
      r.addAttributes(kv);
    }
    return r.build();
  }

  public static KeyValue string(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  public static KeyValue bool(String key, boolean value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setBoolValue(value))
        .build();
  }

  public static KeyValue integer(String key, long value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setIntValue(value))
        .build();
  }

  public static KeyValue dbl(String key, double value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setDoubleValue(value))
        .build();
  }

  public static KeyValue bytes(String key, byte[] value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setBytesValue(ByteString.copyFrom(value)))
        .build();
  }

  public static KeyValue array(String key, AnyValue... values) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(
            AnyValue.newBuilder()
                .setArrayValue(ArrayValue.newBuilder().addAllValues(List.of(values))))
        .build();
  }

  public static KeyValue map(String key, KeyValue... entries) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(
            AnyValue.newBuilder()
                .setKvlistValue(KeyValueList.newBuilder().addAllValues(List.of(entries))))
        .build();
  }

  /** A span of trace {@code trace} starting {@code offset} after {@code traceStart}. */
  public static Span.Builder span(
      long trace,
      int span,
      Integer parent,
      String name,
      Span.SpanKind kind,
      Instant traceStart,
      Duration offset,
      Duration duration) {
    long start = nanos(traceStart.plus(offset));
    Span.Builder b =
        Span.newBuilder()
            .setTraceId(ByteString.copyFrom(traceId(trace)))
            .setSpanId(spanId(trace, span))
            .setName(name)
            .setKind(kind)
            .setStartTimeUnixNano(start)
            .setEndTimeUnixNano(start + duration.toNanos());
    if (parent != null) {
      b.setParentSpanId(spanId(trace, parent));
    }
    return b;
  }

  /** One {@code ResourceSpans} of the given resource and scope with the given spans. */
  public static ResourceSpans resourceSpans(
      Resource resource, InstrumentationScope scope, Span.Builder... spans) {
    ScopeSpans.Builder ss = ScopeSpans.newBuilder().setScope(scope).setSchemaUrl(SCOPE_SCHEMA_URL);
    for (Span.Builder s : spans) {
      ss.addSpans(s);
    }
    return ResourceSpans.newBuilder()
        .setResource(resource)
        .setSchemaUrl(RESOURCE_SCHEMA_URL)
        .addScopeSpans(ss)
        .build();
  }

  public static ExportTraceServiceRequest request(ResourceSpans... resourceSpans) {
    return ExportTraceServiceRequest.newBuilder()
        .addAllResourceSpans(List.of(resourceSpans))
        .build();
  }

  static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  /** Resource of the frontend, shared by every trace that passes through it. */
  public static Resource frontendResource() {
    return resource(
        "frontend",
        string("host.name", "web-1"),
        integer("process.pid", 4242),
        string("deployment.environment.name", "prod"));
  }

  /**
   * frontend → checkout → payments (ERROR) and checkout → mailer, at {@link #CHECKOUT_START}.
   *
   * <p>Searchable facts: frontend span 1 has {@code http.request.method=GET}, {@code
   * http.response.status_code=200} (int), {@code user.premium=true} (bool), {@code cart.value=99.5}
   * (double), lasts 1200 ms. frontend span 2 is a client span {@code http.request.method=POST}.
   * checkout span 3 has an event {@code order.validated} with {@code items=3}. payments span 5
   * ({@code Charge}, server, ERROR, 500 ms) has {@code payment.amount=100.0} (a double shown as
   * {@code 100}) and an {@code exception} event with {@code exception.type=CardDeclinedException};
   * its resource has {@code k8s.pod.name=payments-7d9f}. payments span 9 has an unspecified kind.
   * mailer span 7 is a consumer with status OK and a link to {@link #LINKED_TRACE_ID}.
   */
  public static ExportTraceServiceRequest checkoutTrace() {
    long t = 1;
    Instant s = CHECKOUT_START;
    Resource frontend = frontendResource();
    Resource checkout =
        resource("checkout", string("host.name", "app-2"), string("service.version", "3.1.0"));
    Resource payments =
        resource(
            "payments",
            string("k8s.pod.name", "payments-7d9f"),
            array(
                "process.command_args",
                AnyValue.newBuilder().setStringValue("java").build(),
                AnyValue.newBuilder().setStringValue("-jar").build()));
    Resource mailer = Resource.newBuilder().addAttributes(string("service.name", "mailer")).build();

    Span.Builder root =
        span(
                t,
                1,
                null,
                "GET /checkout",
                Span.SpanKind.SPAN_KIND_SERVER,
                s,
                Duration.ZERO,
                ms(1200))
            .addAttributes(string("http.request.method", "GET"))
            .addAttributes(integer("http.response.status_code", 200))
            .addAttributes(bool("user.premium", true))
            .addAttributes(dbl("cart.value", 99.5))
            .addAttributes(bytes("session.token", "s3cr3t".getBytes(StandardCharsets.UTF_8)))
            .addAttributes(
                array(
                    "cart.skus",
                    AnyValue.newBuilder().setStringValue("A-1").build(),
                    AnyValue.newBuilder().setIntValue(7).build()))
            .addAttributes(map("user", string("tier", "gold"), integer("age.days", 400)))
            .setFlags(0x301)
            .setTraceState("vendor=abc");
    Span.Builder call =
        span(t, 2, 1, "POST /checkout", Span.SpanKind.SPAN_KIND_CLIENT, s, ms(50), ms(1100))
            .addAttributes(string("http.request.method", "POST"))
            .addAttributes(string("server.address", "checkout"));
    Span.Builder place =
        span(t, 3, 2, "PlaceOrder", Span.SpanKind.SPAN_KIND_SERVER, s, ms(100), ms(1000))
            .addAttributes(string("order.id", "ord-42"))
            .addEvents(
                Span.Event.newBuilder()
                    .setTimeUnixNano(nanos(s.plus(ms(130))))
                    .setName("order.validated")
                    .addAttributes(integer("items", 3)));
    Span.Builder validate =
        span(t, 8, 3, "validate", Span.SpanKind.SPAN_KIND_INTERNAL, s, ms(110), ms(20));
    Span.Builder charge =
        span(t, 4, 3, "Charge", Span.SpanKind.SPAN_KIND_CLIENT, s, ms(150), ms(600))
            .addAttributes(string("rpc.system", "grpc"));
    Span.Builder publish =
        span(t, 6, 3, "orders publish", Span.SpanKind.SPAN_KIND_PRODUCER, s, ms(800), ms(5))
            .addAttributes(string("messaging.destination.name", "orders"));
    Span.Builder charged =
        span(t, 5, 4, "Charge", Span.SpanKind.SPAN_KIND_SERVER, s, ms(200), ms(500))
            .addAttributes(dbl("payment.amount", 100.0))
            .addEvents(
                Span.Event.newBuilder()
                    .setTimeUnixNano(nanos(s.plus(ms(690))))
                    .setName("exception")
                    .addAttributes(string("exception.type", "CardDeclinedException"))
                    .addAttributes(string("exception.message", "card declined"))
                    .addAttributes(bool("exception.escaped", false)))
            .setStatus(
                Status.newBuilder()
                    .setCode(Status.StatusCode.STATUS_CODE_ERROR)
                    .setMessage("card declined"));
    Span.Builder audit =
        span(t, 9, 5, "audit", Span.SpanKind.SPAN_KIND_UNSPECIFIED, s, ms(250), ms(10));
    Span.Builder consume =
        span(t, 7, 6, "orders process", Span.SpanKind.SPAN_KIND_CONSUMER, s, ms(900), ms(80))
            .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_OK))
            .addLinks(
                Span.Link.newBuilder()
                    .setTraceId(ByteString.copyFrom(LINKED_TRACE_ID))
                    .setSpanId(spanId(99, 1))
                    .addAttributes(string("link.reason", "batch")));
    return request(
        resourceSpans(frontend, HTTP_SCOPE, root, call),
        resourceSpans(checkout, GRPC_SCOPE, place, charge),
        resourceSpans(payments, GRPC_SCOPE, charged, audit),
        ResourceSpans.newBuilder()
            .setResource(checkout)
            .setSchemaUrl(RESOURCE_SCHEMA_URL)
            .addScopeSpans(
                ScopeSpans.newBuilder()
                    .setScope(KAFKA_SCOPE)
                    .setSchemaUrl(SCOPE_SCHEMA_URL)
                    .addSpans(publish))
            .addScopeSpans(
                ScopeSpans.newBuilder()
                    .setScope(GRPC_SCOPE)
                    .setSchemaUrl(SCOPE_SCHEMA_URL)
                    .addSpans(validate))
            .build(),
        // no schema URLs here: stores must keep "absent" as absent
        ResourceSpans.newBuilder()
            .setResource(mailer)
            .addScopeSpans(ScopeSpans.newBuilder().setScope(MANUAL_SCOPE).addSpans(consume))
            .build());
  }

  /**
   * frontend {@code GET /products} (server, 80 ms, {@code http.response.status_code=200}) →
   * frontend {@code GET /catalog} (client) → catalog {@code ListProducts} (server, {@code
   * db.system=postgresql}), at {@link #BROWSE_START}.
   */
  public static ExportTraceServiceRequest browseTrace() {
    long t = 2;
    Instant s = BROWSE_START;
    return request(
        resourceSpans(
            frontendResource(),
            HTTP_SCOPE,
            span(
                    t,
                    1,
                    null,
                    "GET /products",
                    Span.SpanKind.SPAN_KIND_SERVER,
                    s,
                    Duration.ZERO,
                    ms(80))
                .addAttributes(string("http.request.method", "GET"))
                .addAttributes(integer("http.response.status_code", 200)),
            span(t, 2, 1, "GET /catalog", Span.SpanKind.SPAN_KIND_CLIENT, s, ms(5), ms(70))),
        resourceSpans(
            resource("catalog"),
            GRPC_SCOPE,
            span(t, 3, 2, "ListProducts", Span.SpanKind.SPAN_KIND_SERVER, s, ms(10), ms(60))
                .addAttributes(string("db.system", "postgresql"))));
  }

  /**
   * frontend {@code GET /cart} (server, 2 s, no tags) → cart {@code GetCart} (server, 10 ms, {@code
   * cache.hit=false}), at {@link #SPLIT_START}.
   */
  public static ExportTraceServiceRequest splitTrace() {
    long t = 3;
    Instant s = SPLIT_START;
    return request(
        resourceSpans(
            frontendResource(),
            HTTP_SCOPE,
            span(
                t,
                1,
                null,
                "GET /cart",
                Span.SpanKind.SPAN_KIND_SERVER,
                s,
                Duration.ZERO,
                ms(2000))),
        resourceSpans(
            resource("cart"),
            GRPC_SCOPE,
            span(t, 2, 1, "GetCart", Span.SpanKind.SPAN_KIND_SERVER, s, ms(1), ms(10))
                .addAttributes(bool("cache.hit", false))));
  }

  /**
   * A one-span trace of {@code service}: trace number {@code n}, operation {@code operation},
   * starting at {@code start}, lasting 10 ms.
   */
  public static ExportTraceServiceRequest singleSpanTrace(
      long n, String service, String operation, Instant start) {
    return request(
        resourceSpans(
            resource(service),
            HTTP_SCOPE,
            span(
                n,
                1,
                null,
                operation,
                Span.SpanKind.SPAN_KIND_SERVER,
                start,
                Duration.ZERO,
                ms(10))));
  }

  /**
   * Realistic random traffic for size and load checks: {@code traces} traces of 2 to 8 spans over 5
   * services, ~10 attributes per span, starting within the hour before {@link #NOW}. The same seed
   * gives the same data.
   */
  public static List<ExportTraceServiceRequest> randomTraffic(long seed, int traces) {
    Random random = new Random(seed);
    String[] services = {"frontend", "checkout", "payments", "catalog", "mailer"};
    String[] routes = {"/", "/cart", "/checkout", "/products/{id}", "/api/v1/orders"};
    List<ExportTraceServiceRequest> out = new ArrayList<>();
    for (int n = 0; n < traces; n++) {
      byte[] traceId = new byte[16];
      random.nextBytes(traceId);
      Instant start = NOW.minusMillis(random.nextInt(3_600_000));
      int spans = 2 + random.nextInt(7);
      ExportTraceServiceRequest.Builder req = ExportTraceServiceRequest.newBuilder();
      byte[] parent = null;
      long offsetNanos = 0;
      for (int i = 0; i < spans; i++) {
        String service = services[Math.min(i, services.length - 1)];
        byte[] spanId = new byte[8];
        random.nextBytes(spanId);
        long startNanos = nanos(start) + offsetNanos;
        long durationNanos = 1_000_000L + random.nextInt(500_000_000);
        offsetNanos += random.nextInt(2_000_000);
        String route = routes[random.nextInt(routes.length)];
        Span.Builder span =
            Span.newBuilder()
                .setTraceId(ByteString.copyFrom(traceId))
                .setSpanId(ByteString.copyFrom(spanId))
                .setName(i == 0 ? "GET " + route : "call-" + service)
                .setKind(i == 0 ? Span.SpanKind.SPAN_KIND_SERVER : Span.SpanKind.SPAN_KIND_CLIENT)
                .setStartTimeUnixNano(startNanos)
                .setEndTimeUnixNano(startNanos + durationNanos)
                .addAttributes(string("http.request.method", random.nextBoolean() ? "GET" : "POST"))
                .addAttributes(string("http.route", route))
                .addAttributes(
                    integer("http.response.status_code", random.nextInt(10) == 0 ? 500 : 200))
                .addAttributes(string("url.scheme", "http"))
                .addAttributes(string("server.address", service + ".svc.cluster.local"))
                .addAttributes(integer("server.port", 8080))
                .addAttributes(string("network.protocol.version", "1.1"))
                .addAttributes(string("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)"))
                .addAttributes(string("thread.name", "http-nio-8080-exec-" + random.nextInt(200)))
                .addAttributes(integer("thread.id", 20 + random.nextInt(200)));
        if (parent != null) {
          span.setParentSpanId(ByteString.copyFrom(parent));
        }
        parent = spanId;
        Resource resource =
            resource(
                service,
                string("service.instance.id", service + "-" + (random.nextInt(3) + 1)),
                string("host.name", "node-" + (random.nextInt(4) + 1)),
                string("telemetry.sdk.name", "opentelemetry"),
                string("telemetry.sdk.language", "java"),
                string("telemetry.sdk.version", "1.68.0"));
        req.addResourceSpans(resourceSpans(resource, HTTP_SCOPE, span));
      }
      out.add(req.build());
    }
    return out;
  }

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }
}
