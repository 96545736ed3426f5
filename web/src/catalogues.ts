// Every area's messages, for the catalogue test; the app imports each area itself.
import "./lib/i18n";
import "./console/messages";
import "./customer/messages";
import "./console/Desk";
import "./customer/CustomerApp";
import "./console/Imports";
import "./console/DataTab";
import "./console/PointsPage";
