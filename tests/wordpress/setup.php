<?php
// Install WordPress and give the office account an application password for the REST API: php setup.php SITE
$site = $argv[1];
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = parse_url(getenv('WP_BASE'), PHP_URL_HOST) . ':' . parse_url(getenv('WP_BASE'), PHP_URL_PORT);
require $site . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$installed = wp_install('Hillside Primary', 'office', 'office@school.example', true, '', 'not-a-real-password-1');
wp_update_user(['ID' => $installed['user_id'], 'display_name' => 'Jane Office', 'first_name' => 'Jane', 'last_name' => 'Office']);
update_option('permalink_structure', getenv('WP_PERMALINKS') === false ? '/%postname%/' : getenv('WP_PERMALINKS'));
update_option('template', 'plain');
update_option('stylesheet', 'plain');
flush_rewrite_rules();
[$password] = WP_Application_Passwords::create_new_application_password($installed['user_id'], ['name' => 'tests']);
echo json_encode(['user' => 'office', 'password' => $password]);
