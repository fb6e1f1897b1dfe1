package dev.ringfence.loader;

import java.sql.DriverManager;
import java.util.Collections;

/**
 * Lists JDBC drivers as a class of a leaked version would see them. {@link DriverManager} shows a
 * caller only the drivers its class loader can load, so {@link LeakDiagnosis} defines a copy of
 * this class in a throwaway loader whose parent is the leaked version's loader, and calls it
 * there.
 */
final class DriverListing {
    private DriverListing() {
    }

    /** @return the registered drivers the caller's loader can see */
    static Object[] drivers() {
        return Collections.list(DriverManager.getDrivers()).toArray();
    }
}
