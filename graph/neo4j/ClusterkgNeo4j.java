// Runs Neo4j Community from its Maven Central artifacts as a standalone server: the embedded
// DatabaseManagementService with the Bolt connector on, authentication on, listening on loopback.
// Neo4j publishes no server tarball to Maven Central, so this small launcher stands in for bin/neo4j.
//
// Usage: java -cp <jars>:<dir> ClusterkgNeo4j <home> <host> <port> <pagecache> [<settings file>]
// The password of user neo4j is read from the environment variable CLUSTERKG_NEO4J_PASSWORD. The optional
// settings file holds further Neo4j settings in neo4j.conf syntax; the ones set here take precedence.

import java.nio.file.Path;
import java.time.Duration;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;

public final class ClusterkgNeo4j {
    public static void main(String[] args) throws Exception {
        if (args.length != 4 && args.length != 5) {
            System.err.println("usage: ClusterkgNeo4j <home> <host> <port> <pagecache> [<settings file>]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        String host = args[1];
        int port = Integer.parseInt(args[2]);
        String password = System.getenv("CLUSTERKG_NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("CLUSTERKG_NEO4J_PASSWORD must be set to at least 8 characters");
            System.exit(2);
        }
        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home);
        if (args.length == 5) {
            builder.loadPropertiesFromFile(Path.of(args[4]));
        }
        DatabaseManagementService dbms = builder
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.parse(args[3]))
                .setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout, Duration.ofSeconds(5))
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown, "clusterkg-neo4j-shutdown"));
        setPassword(dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME), password);
        System.out.println("clusterkg-neo4j ready bolt://" + host + ":" + port);
        System.out.flush();
        Thread.currentThread().join();
    }

    /** Sets the password of user neo4j, unless it already is that password. */
    private static void setPassword(GraphDatabaseService system, String password) {
        try {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                    java.util.Map.of("password", password));
        } catch (RuntimeException e) {
            String message = String.valueOf(e.getMessage());
            if (!message.contains("Old password and new password cannot be the same")) {
                throw e;
            }
        }
    }
}
