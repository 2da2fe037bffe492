/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.store;

import static io.faultline.store.TestData.BROWSE_TRACE_ID;
import static io.faultline.store.TestData.CHECKOUT_TRACE_ID;
import static io.faultline.store.TestData.NOW;
import static io.faultline.store.TestData.SPLIT_TRACE_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.trace.TraceQueries.DependencyLink;
import io.faultline.core.trace.TraceQueries.Operation;
import io.faultline.core.trace.TraceQuery;
import io.faultline.core.trace.TraceStore;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@code TraceStore} promises. A backend extends this class and implements {@link
 * #newStore}; that is all. Each test starts from an empty store in a fresh directory.
 *
 * <p>The store must use {@link TestData#CLOCK} (fixed at {@link TestData#NOW}) as its clock, and
 * keep at least one day of data.
 *
 * <p>Writes go through {@link TraceStore#indexer()} exactly as the ingest pipeline drives it:
 * increasing write-ahead-log positions, commits that return the next checkpoint, and replays after
 * a reopen.
 */
public abstract class TraceStoreContract {

  /** How long a store may take to make uncommitted data visible: one second, plus CI slack. */
  protected static final Duration VISIBILITY_DEADLINE = Duration.ofMillis(1500);

  private static final HexFormat HEX = HexFormat.of();

  @TempDir protected Path dir;

  /** The store under test; replaced by {@link #reopen()}. */
  protected TraceStore store;

  private long nextPosition;
  private final Map<ByteString, Integer> writtenSpans = new HashMap<>();

  /**
   * Opens the store kept in {@code dir}: a new one when the directory is empty, otherwise the one
   * that a previous call left there (for the durability tests). Uses {@link TestData#CLOCK}.
   */
  protected abstract TraceStore newStore(Path dir) throws IOException;

  @BeforeEach
  void openStore() throws IOException {
    store = newStore(dir);
    nextPosition = store.indexer().checkpoint();
  }

  @AfterEach
  void closeStore() throws IOException {
    if (store != null) {
      store.close();
      store = null;
    }
  }

  /** Closes the store without committing and opens it again from the same directory. */
  protected final void reopen() throws IOException {
    store.close();
    store = null;
    store = newStore(dir);
  }

  /** Applies one batch at the next log position, without committing; returns its position. */
  protected final long apply(ExportTraceServiceRequest request) throws IOException {
    long position = nextPosition;
    long next = position + request.getSerializedSize() + 16;
    store.indexer().apply(position, next, TelemetryBatch.of(Signal.TRACES, request));
    nextPosition = next;
    return position;
  }

  /** Applies, commits and waits until every written span is readable by trace id. */
  protected final void write(ExportTraceServiceRequest... requests) throws IOException {
    for (ExportTraceServiceRequest request : requests) {
      apply(request);
      for (ResourceSpans rs : request.getResourceSpansList()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          for (Span span : ss.getSpansList()) {
            writtenSpans.merge(span.getTraceId(), 1, Integer::sum);
          }
        }
      }
    }
    assertThat(store.indexer().commit()).isEqualTo(nextPosition);
    await()
        .atMost(VISIBILITY_DEADLINE)
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(10))
        .untilAsserted(
            () -> {
              for (Map.Entry<ByteString, Integer> e : writtenSpans.entrySet()) {
                assertThat(spanCount(e.getKey().toByteArray())).isEqualTo(e.getValue());
              }
            });
  }

  protected final void writeCanned() throws IOException {
    write(TestData.checkoutTrace(), TestData.browseTrace(), TestData.splitTrace());
  }

  // ---- trace by id

  @Test
  void traceByIdReturnsExactlyItsSpansLosslessly() throws IOException {
    writeCanned();

    TracesData checkout = store.queries().trace(CHECKOUT_TRACE_ID).orElseThrow();
    assertThat(flatten(checkout)).isEqualTo(flatten(TestData.checkoutTrace(), CHECKOUT_TRACE_ID));
    assertThat(flatten(store.queries().trace(BROWSE_TRACE_ID).orElseThrow()))
        .isEqualTo(flatten(TestData.browseTrace(), BROWSE_TRACE_ID));
  }

  @Test
  void traceByIdGroupsSpansByResourceAndScopeInStartOrder() throws IOException {
    writeCanned();

    TracesData trace = store.queries().trace(CHECKOUT_TRACE_ID).orElseThrow();
    Set<String> resources = new HashSet<>();
    for (ResourceSpans rs : trace.getResourceSpansList()) {
      assertThat(resources.add(rs.getResource() + "|" + rs.getSchemaUrl()))
          .as("identical resources are merged into one ResourceSpans")
          .isTrue();
      Set<String> scopes = new HashSet<>();
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        assertThat(scopes.add(ss.getScope() + "|" + ss.getSchemaUrl())).isTrue();
        assertThat(ss.getSpansList())
            .isSortedAccordingTo(Comparator.comparingLong(Span::getStartTimeUnixNano));
      }
    }
    // frontend, checkout (two scopes), payments, mailer
    assertThat(trace.getResourceSpansCount()).isEqualTo(4);
    ResourceSpans checkout =
        trace.getResourceSpansList().stream()
            .filter(rs -> service(rs).equals("checkout"))
            .findFirst()
            .orElseThrow();
    assertThat(checkout.getScopeSpansList())
        .extracting(ss -> ss.getScope().getName())
        .containsExactlyInAnyOrder(
            "io.opentelemetry.grpc-1.6", "io.opentelemetry.kafka-clients-2.6");
  }

  @Test
  void findsTheTagsTheJaegerViewDerivesWheneverItShowsThem() throws IOException {
    ExportTraceServiceRequest.Builder request =
        TestData.singleSpanTrace(600, "derived", "op", TestData.NOW.minusSeconds(5)).toBuilder();
    request
        .getResourceSpansBuilder(0)
        .getScopeSpansBuilder(0)
        .getSpansBuilder(0)
        .setTraceState("rojo=00f067aa0ba902b7")
        .setStatus(Status.newBuilder().setMessage("slow disk")) // UNSET, with a description
        .setDroppedAttributesCount(3)
        .setDroppedEventsCount(1)
        .setDroppedLinksCount(2);
    write(request.build());

    for (Map.Entry<String, String> tag :
        Map.of(
                "w3c.tracestate", "rojo=00f067aa0ba902b7",
                "otel.status_description", "slow disk",
                "otel.dropped_attributes_count", "3",
                "otel.dropped_events_count", "1",
                "otel.dropped_links_count", "2")
            .entrySet()) {
      assertThat(ids(find(query().service("derived").tag(tag.getKey(), tag.getValue()))))
          .as(tag.getKey())
          .containsExactly(hex(TestData.traceId(600)));
    }
    assertThat(find(query().service("derived").tag("otel.status_code", "UNSET")))
        .as("an unset status shows no status code")
        .isEmpty();
  }

  @Test
  void identicalDuplicateSpansAreReturnedOnce() throws IOException {
    // an exporter's retry: the same batch twice; then the same span id with another name
    apply(TestData.browseTrace());
    apply(TestData.browseTrace());
    ExportTraceServiceRequest.Builder changed = TestData.browseTrace().toBuilder();
    changed.getResourceSpansBuilder(0).getScopeSpansBuilder(0).getSpansBuilder(0).setName("other");
    apply(changed.build());
    store.indexer().commit();
    int spans = flatten(TestData.browseTrace(), BROWSE_TRACE_ID).size();

    await()
        .atMost(VISIBILITY_DEADLINE)
        .untilAsserted(() -> assertThat(spanCount(BROWSE_TRACE_ID)).isEqualTo(spans + 1));
    assertThat(find(query().service("frontend"))).hasSize(1);
    assertThat(flatten(find(query().service("frontend")).get(0))).hasSize(spans + 1);
  }

  @Test
  void unknownTraceIsEmpty() throws IOException {
    assertThat(store.queries().trace(TestData.LINKED_TRACE_ID)).isEmpty();
    writeCanned();
    assertThat(store.queries().trace(TestData.LINKED_TRACE_ID)).isEmpty();
  }

  // ---- search

  @Test
  void findsTracesByServiceAndOperation() throws IOException {
    writeCanned();

    assertThat(ids(find(query().service("payments")))).containsExactly(hex(CHECKOUT_TRACE_ID));
    assertThat(ids(find(query().service("frontend"))))
        .containsExactly(hex(SPLIT_TRACE_ID), hex(BROWSE_TRACE_ID), hex(CHECKOUT_TRACE_ID));
    assertThat(ids(find(query().service("frontend").operation("GET /products"))))
        .containsExactly(hex(BROWSE_TRACE_ID));
    assertThat(ids(find(query().operation("Charge")))).containsExactly(hex(CHECKOUT_TRACE_ID));
    assertThat(find(query().service("catalog").operation("Charge"))).isEmpty();
    assertThat(find(query().service("nobody"))).isEmpty();
  }

  @Test
  void foundTracesAreComplete() throws IOException {
    writeCanned();

    List<TracesData> found = find(query().service("mailer"));
    assertThat(found).hasSize(1);
    assertThat(flatten(found.get(0)))
        .isEqualTo(flatten(TestData.checkoutTrace(), CHECKOUT_TRACE_ID));
  }

  @Test
  void findsTracesByTagsFromEverySource() throws IOException {
    writeCanned();
    String checkout = hex(CHECKOUT_TRACE_ID);
    String browse = hex(BROWSE_TRACE_ID);

    // span attribute, string
    assertThat(ids(find(query().tag("http.request.method", "POST")))).containsExactly(checkout);
    // resource attribute
    assertThat(ids(find(query().tag("k8s.pod.name", "payments-7d9f")))).containsExactly(checkout);
    assertThat(
            ids(
                find(
                    query()
                        .service("frontend")
                        .operation("GET /products")
                        .tag("host.name", "web-1"))))
        .containsExactly(browse);
    // event attributes
    assertThat(ids(find(query().tag("exception.type", "CardDeclinedException"))))
        .containsExactly(checkout);
    assertThat(ids(find(query().service("checkout").tag("items", "3")))).containsExactly(checkout);
    // typed values as Jaeger shows them
    assertThat(ids(find(query().tag("user.premium", "true")))).containsExactly(checkout);
    assertThat(find(query().tag("user.premium", "false"))).isEmpty();
    assertThat(ids(find(query().tag("http.response.status_code", "200"))))
        .containsExactly(browse, checkout);
    assertThat(ids(find(query().tag("cart.value", "99.5")))).containsExactly(checkout);
    assertThat(ids(find(query().tag("payment.amount", "100")))).containsExactly(checkout);
    assertThat(ids(find(query().tag("cache.hit", "false")))).containsExactly(hex(SPLIT_TRACE_ID));
    // synthetic tags of status and kind
    assertThat(ids(find(query().tag("error", "true")))).containsExactly(checkout);
    assertThat(ids(find(query().tag("otel.status_code", "ERROR")))).containsExactly(checkout);
    assertThat(ids(find(query().tag("span.kind", "consumer")))).containsExactly(checkout);
    // several tags, all on one span
    assertThat(ids(find(query().tag("http.request.method", "GET").tag("user.premium", "true"))))
        .containsExactly(checkout);
    assertThat(find(query().tag("http.request.method", "POST").tag("user.premium", "true")))
        .isEmpty();
  }

  @Test
  void allConditionsMustHoldOnTheSameSpan() throws IOException {
    writeCanned();
    String split = hex(SPLIT_TRACE_ID);

    assertThat(ids(find(query().service("cart").tag("cache.hit", "false")))).containsExactly(split);
    // frontend is in the trace and cache.hit=false is in the trace, but on different spans
    assertThat(find(query().service("frontend").tag("cache.hit", "false"))).isEmpty();
    assertThat(find(query().service("cart").minDuration(Duration.ofSeconds(1)))).isEmpty();
    assertThat(find(query().operation("GET /cart").tag("cache.hit", "false"))).isEmpty();
  }

  @Test
  void findsTracesByTimeRange() throws IOException {
    writeCanned();

    assertThat(ids(find(query().service("frontend").between(NOW.minusSeconds(360), NOW))))
        .containsExactly(hex(SPLIT_TRACE_ID), hex(BROWSE_TRACE_ID));
    // both ends inclusive
    assertThat(
            ids(
                find(
                    query()
                        .service("frontend")
                        .between(TestData.BROWSE_START, TestData.BROWSE_START))))
        .containsExactly(hex(BROWSE_TRACE_ID));
    assertThat(find(query().between(NOW.minusSeconds(60), NOW))).isEmpty();
    assertThat(find(query().between(NOW.minus(Duration.ofDays(1)), NOW.minusSeconds(3600))))
        .isEmpty();
  }

  @Test
  void findsTracesByDuration() throws IOException {
    writeCanned();

    // frontend roots: checkout 1200 ms, browse 80 ms, split 2000 ms
    assertThat(ids(find(query().service("frontend").minDuration(Duration.ofMillis(1500)))))
        .containsExactly(hex(SPLIT_TRACE_ID));
    assertThat(ids(find(query().service("frontend").maxDuration(Duration.ofMillis(80)))))
        .containsExactly(hex(BROWSE_TRACE_ID));
    assertThat(
            ids(
                find(
                    query()
                        .service("frontend")
                        .minDuration(Duration.ofMillis(1200))
                        .maxDuration(Duration.ofMillis(1200)))))
        .containsExactly(hex(CHECKOUT_TRACE_ID));
    assertThat(find(query().service("payments").minDuration(Duration.ofMillis(501)))).isEmpty();
  }

  @Test
  void limitKeepsTheMostRecentTraces() throws IOException {
    long seed = new Random().nextLong();
    System.out.println("TraceStoreContract.limitKeepsTheMostRecentTraces seed=" + seed);
    List<Integer> order = new ArrayList<>(List.of(1, 2, 3, 4, 5, 6, 7));
    Collections.shuffle(order, new Random(seed));
    for (int minutesAgo : order) {
      write(
          TestData.singleSpanTrace(
              1000 + minutesAgo, "loadgen", "tick", NOW.minus(Duration.ofMinutes(minutesAgo))));
    }

    assertThat(ids(find(query().service("loadgen").limit(3))))
        .as("seed %d", seed)
        .containsExactly(
            hex(TestData.traceId(1001)), hex(TestData.traceId(1002)), hex(TestData.traceId(1003)));
    assertThat(find(query().service("loadgen").limit(100))).hasSize(7);
  }

  @Test
  void resultsAreMostRecentFirst() throws IOException {
    writeCanned();

    assertThat(ids(find(query().service("frontend").limit(1))))
        .containsExactly(hex(SPLIT_TRACE_ID));
    assertThat(ids(find(query().tag("http.request.method", "GET").limit(2))))
        .containsExactly(hex(BROWSE_TRACE_ID), hex(CHECKOUT_TRACE_ID));
  }

  // ---- services, operations, dependencies

  @Test
  void listsServices() throws IOException {
    assertThat(store.queries().services()).isEmpty();
    writeCanned();
    assertThat(store.queries().services())
        .containsExactly("cart", "catalog", "checkout", "frontend", "mailer", "payments");
  }

  @Test
  void listsOperationsWithTheirKinds() throws IOException {
    writeCanned();

    assertThat(store.queries().operations("checkout", null))
        .containsExactly(
            new Operation("Charge", "client"),
            new Operation("PlaceOrder", "server"),
            new Operation("orders publish", "producer"),
            new Operation("validate", "internal"));
    assertThat(store.queries().operations("checkout", "server"))
        .containsExactly(new Operation("PlaceOrder", "server"));
    assertThat(store.queries().operations("payments", null))
        .as("an unspecified kind has no span.kind, as in Jaeger")
        .containsExactly(new Operation("Charge", "server"), new Operation("audit", ""));
    assertThat(store.queries().operations("mailer", "consumer"))
        .containsExactly(new Operation("orders process", "consumer"));
    assertThat(store.queries().operations("mailer", "server")).isEmpty();
    assertThat(store.queries().operations("nobody", null)).isEmpty();
  }

  @Test
  void countsDependenciesBetweenServices() throws IOException {
    writeCanned();

    assertThat(store.queries().dependencies(NOW.toEpochMilli(), Duration.ofHours(1).toMillis()))
        .containsExactlyInAnyOrder(
            new DependencyLink("frontend", "checkout", 1),
            new DependencyLink("checkout", "payments", 1),
            new DependencyLink("checkout", "mailer", 1),
            new DependencyLink("frontend", "catalog", 1),
            new DependencyLink("frontend", "cart", 1));
    // only the checkout trace lies in [NOW - 12 min, NOW - 7 min]
    assertThat(
            store
                .queries()
                .dependencies(
                    NOW.minus(Duration.ofMinutes(7)).toEpochMilli(),
                    Duration.ofMinutes(5).toMillis()))
        .containsExactlyInAnyOrder(
            new DependencyLink("frontend", "checkout", 1),
            new DependencyLink("checkout", "payments", 1),
            new DependencyLink("checkout", "mailer", 1));
    assertThat(store.queries().dependencies(NOW.minus(Duration.ofHours(2)).toEpochMilli(), 60_000))
        .isEmpty();
  }

  @Test
  void dependencyCallsAddUp() throws IOException {
    write(TestData.browseTrace());
    ExportTraceServiceRequest again = TestData.browseTrace();
    // the same shape under another trace id
    ExportTraceServiceRequest.Builder b = again.toBuilder();
    for (ResourceSpans.Builder rs : b.getResourceSpansBuilderList()) {
      for (ScopeSpans.Builder ss : rs.getScopeSpansBuilderList()) {
        for (Span.Builder span : ss.getSpansBuilderList()) {
          span.setTraceId(ByteString.copyFrom(TestData.traceId(77)));
        }
      }
    }
    write(b.build());

    assertThat(store.queries().dependencies(NOW.toEpochMilli(), Duration.ofHours(1).toMillis()))
        .containsExactly(new DependencyLink("frontend", "catalog", 2));
  }

  // ---- the write side: positions, commits, replay, visibility

  @Test
  void emptyStoreHasCheckpointZeroAndCommitReturnsTheNextPosition() throws IOException {
    assertThat(store.indexer().checkpoint()).isZero();
    assertThat(store.indexer().signals()).containsExactly(Signal.TRACES);
    long position = apply(TestData.browseTrace());
    long committed = store.indexer().commit();
    assertThat(committed).isGreaterThan(position).isEqualTo(nextPosition);
    assertThat(store.indexer().checkpoint()).isEqualTo(committed);
  }

  @Test
  void replayAfterReopenIndexesNothingTwice() throws IOException {
    ExportTraceServiceRequest checkout = TestData.checkoutTrace();
    ExportTraceServiceRequest browse = TestData.browseTrace();
    long p1 = apply(checkout);
    long p2 = apply(browse);
    long checkpoint = store.indexer().commit();
    reopen();
    assertThat(store.indexer().checkpoint()).isEqualTo(checkpoint);

    // the pipeline replays from its oldest log segment: these positions are below the checkpoint
    store.indexer().apply(p1, p2, TelemetryBatch.of(Signal.TRACES, checkout));
    store.indexer().apply(p2, checkpoint, TelemetryBatch.of(Signal.TRACES, browse));
    nextPosition = checkpoint;
    apply(TestData.splitTrace());
    assertThat(store.indexer().commit()).isEqualTo(nextPosition);
    reopen();

    await()
        .atMost(VISIBILITY_DEADLINE)
        .untilAsserted(() -> assertThat(spanCount(SPLIT_TRACE_ID)).isEqualTo(2));
    assertThat(flatten(store.queries().trace(CHECKOUT_TRACE_ID).orElseThrow()))
        .isEqualTo(flatten(checkout, CHECKOUT_TRACE_ID));
    assertThat(flatten(store.queries().trace(BROWSE_TRACE_ID).orElseThrow()))
        .isEqualTo(flatten(browse, BROWSE_TRACE_ID));
    assertThat(find(query().service("frontend"))).hasSize(3);
  }

  @Test
  void closeWithoutCommitKeepsOnlyWhatWasCommitted() throws IOException {
    apply(TestData.checkoutTrace());
    long checkpoint = store.indexer().commit();
    apply(TestData.browseTrace());
    await()
        .atMost(VISIBILITY_DEADLINE)
        .untilAsserted(() -> assertThat(store.queries().trace(BROWSE_TRACE_ID)).isPresent());

    reopen();

    assertThat(store.indexer().checkpoint()).isEqualTo(checkpoint);
    assertThat(store.queries().trace(BROWSE_TRACE_ID)).isEmpty();
    assertThat(flatten(store.queries().trace(CHECKOUT_TRACE_ID).orElseThrow()))
        .isEqualTo(flatten(TestData.checkoutTrace(), CHECKOUT_TRACE_ID));

    // the pipeline replays the lost batch from the checkpoint
    nextPosition = checkpoint;
    write(TestData.browseTrace());
    assertThat(store.queries().trace(BROWSE_TRACE_ID)).isPresent();
  }

  @Test
  void appliedDataBecomesVisibleWithinOneSecondWithoutCommit() throws IOException {
    apply(TestData.splitTrace());
    await()
        .atMost(VISIBILITY_DEADLINE)
        .pollInterval(Duration.ofMillis(20))
        .untilAsserted(
            () -> {
              assertThat(spanCount(SPLIT_TRACE_ID)).isEqualTo(2);
              assertThat(find(query().service("cart"))).hasSize(1);
              assertThat(store.queries().services()).contains("cart", "frontend");
            });
  }

  @Test
  void rejectsATraceIdOfTheWrongLength() {
    assertThatThrownBy(() -> store.queries().trace(new byte[8]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void isHealthyWhileOpen() {
    assertThat(store.check().isHealthy()).isTrue();
  }

  // ---- helpers

  /** A {@link TraceQuery} over the hour before {@link TestData#NOW}, limit 20, built fluently. */
  protected static QueryBuilder query() {
    return new QueryBuilder();
  }

  protected final List<TracesData> find(QueryBuilder q) {
    return store.queries().findTraces(q.build());
  }

  protected final int spanCount(byte[] traceId) {
    Optional<TracesData> trace = store.queries().trace(traceId);
    return trace.map(t -> flatten(t).size()).orElse(0);
  }

  protected static String hex(byte[] id) {
    return HEX.formatHex(id);
  }

  /** The trace id of each trace, in order. */
  protected static List<String> ids(List<TracesData> traces) {
    List<String> ids = new ArrayList<>();
    for (TracesData t : traces) {
      Set<ByteString> inTrace = new HashSet<>();
      for (ResourceSpans rs : t.getResourceSpansList()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          for (Span span : ss.getSpansList()) {
            inTrace.add(span.getTraceId());
          }
        }
      }
      assertThat(inTrace).as("one trace per TracesData").hasSize(1);
      ids.add(hex(inTrace.iterator().next().toByteArray()));
    }
    return ids;
  }

  /**
   * Every span of {@code trace} as its own {@code ResourceSpans} (resource, schema URLs and scope
   * kept), ordered by start time then span id: equal lists mean lossless storage, whatever the
   * grouping.
   */
  protected static List<ResourceSpans> flatten(TracesData trace) {
    return flatten(trace.getResourceSpansList(), null);
  }

  /** {@link #flatten(TracesData)} of the spans of one trace in a request. */
  protected static List<ResourceSpans> flatten(ExportTraceServiceRequest request, byte[] traceId) {
    return flatten(request.getResourceSpansList(), ByteString.copyFrom(traceId));
  }

  private static List<ResourceSpans> flatten(List<ResourceSpans> all, ByteString traceId) {
    List<ResourceSpans> out = new ArrayList<>();
    for (ResourceSpans rs : all) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span span : ss.getSpansList()) {
          if (traceId != null && !traceId.equals(span.getTraceId())) {
            continue;
          }
          out.add(
              ResourceSpans.newBuilder()
                  .setResource(rs.getResource())
                  .setSchemaUrl(rs.getSchemaUrl())
                  .addScopeSpans(
                      ScopeSpans.newBuilder()
                          .setScope(ss.getScope())
                          .setSchemaUrl(ss.getSchemaUrl())
                          .addSpans(span))
                  .build());
        }
      }
    }
    out.sort(
        Comparator.comparingLong(
                (ResourceSpans rs) -> rs.getScopeSpans(0).getSpans(0).getStartTimeUnixNano())
            .thenComparing(rs -> hex(rs.getScopeSpans(0).getSpans(0).getSpanId().toByteArray())));
    return out;
  }

  private static String service(ResourceSpans rs) {
    return rs.getResource().getAttributesList().stream()
        .filter(kv -> kv.getKey().equals("service.name"))
        .map(kv -> kv.getValue().getStringValue())
        .findFirst()
        .orElse("");
  }

  private static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
  }

  /** Builds a {@link TraceQuery}; defaults: any service, the hour before NOW, limit 20. */
  protected static final class QueryBuilder {
    private String service;
    private String operation;
    private final Map<String, String> tags = new HashMap<>();
    private Instant start = NOW.minus(Duration.ofHours(1));
    private Instant end = NOW;
    private Duration minDuration;
    private Duration maxDuration;
    private int limit = 20;

    public QueryBuilder service(String service) {
      this.service = service;
      return this;
    }

    public QueryBuilder operation(String operation) {
      this.operation = operation;
      return this;
    }

    public QueryBuilder tag(String key, String value) {
      tags.put(key, value);
      return this;
    }

    public QueryBuilder between(Instant start, Instant end) {
      this.start = start;
      this.end = end;
      return this;
    }

    public QueryBuilder minDuration(Duration d) {
      this.minDuration = d;
      return this;
    }

    public QueryBuilder maxDuration(Duration d) {
      this.maxDuration = d;
      return this;
    }

    public QueryBuilder limit(int limit) {
      this.limit = limit;
      return this;
    }

    public TraceQuery build() {
      return new TraceQuery(
          service,
          operation,
          tags,
          micros(start),
          micros(end),
          minDuration == null ? null : minDuration.toNanos() / 1000,
          maxDuration == null ? null : maxDuration.toNanos() / 1000,
          limit);
    }
  }
}
