package dev.conveyor.localmongo;

import java.util.List;
import java.util.concurrent.CountDownLatch;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;

/**
 * Starts mongo-java-server's in-memory backend for local development and CI.
 *
 * <p>Usage: {@code java -cp ... dev.conveyor.localmongo.Main [--host 127.0.0.1] [--port 27017] [--oplog]}
 * ({@code --oplog} enables change streams, at the cost of keeping every write in memory).
 *
 * <p>The backend is {@link PushdownMemoryBackend}: upstream's in-memory backend whose
 * queries are narrowed by a unique index whenever the filter names all of its keys.
 *
 * <p>Data lives in memory only and is gone when the process stops. The server reports
 * MongoDB 4.4 (wire version 9): the Node driver 7 refuses anything older, and the backend's
 * own newest built-in version reports wire version 8.
 */
public final class Main {

    private static final MongoVersion REPORTED_VERSION = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(4, 4, 0);
        }

        @Override
        public int getWireVersion() {
            return 9;
        }
    };

    private Main() {}

    public static void main(String[] args) throws InterruptedException {
        String host = "127.0.0.1";
        int port = 27017;
        boolean oplog = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--oplog")) {
                oplog = true;
                continue;
            }
            if (i + 1 >= args.length) {
                usage("missing value for " + arg);
            }
            String value = args[++i];
            switch (arg) {
                case "--host" -> host = value;
                case "--port" -> port = parsePort(value);
                default -> usage("unknown option " + arg);
            }
        }

        PushdownMemoryBackend backend = new PushdownMemoryBackend();
        backend.version(REPORTED_VERSION);
        MongoServer server = new MongoServer(backend);
        // n.b. change streams need the oplog, which keeps every write in memory for good;
        // Conveyor does not use them, so it stays off unless asked for.
        if (oplog) {
            server.enableOplog();
        }
        server.bind(host, port);
        System.out.println("conveyor-local-mongo: listening on " + host + ":" + port
            + " (in-memory: data is lost when the process stops)");

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("conveyor-local-mongo: shutting down");
            server.shutdownNow();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
    }

    private static int parsePort(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port < 1 || port > 65535) {
                usage("--port must be 1..65535, got " + value);
            }
            return port;
        } catch (NumberFormatException e) {
            usage("--port must be a number, got " + value);
            return -1;
        }
    }

    private static void usage(String problem) {
        System.err.println("conveyor-local-mongo: " + problem);
        System.err.println("usage: Main [--host 127.0.0.1] [--port 27017] [--oplog]");
        System.exit(2);
    }
}
