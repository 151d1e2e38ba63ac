<?php
// Install WordPress and upload the test's photos through its own media functions: usage: php setup.php SITE JSON
$site = $argv[1];
$uploads = json_decode($argv[2], true);
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = parse_url(getenv('WP_BASE'), PHP_URL_HOST) . ':' . parse_url(getenv('WP_BASE'), PHP_URL_PORT);
require $site . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/image.php';
require_once ABSPATH . 'wp-admin/includes/file.php';
require_once ABSPATH . 'wp-admin/includes/media.php';
$installed = wp_install('Hillside Primary', 'office', 'office@school.example', true, '', 'not-a-real-password-1');
wp_update_user(['ID' => $installed['user_id'], 'display_name' => 'Jane Office', 'first_name' => 'Jane', 'last_name' => 'Office']);
wp_set_current_user($installed['user_id']);
update_option('permalink_structure', '/%postname%/');
update_option('template', 'plain');
update_option('stylesheet', 'plain');
flush_rewrite_rules();
$posts = [];
foreach ($uploads as $upload) {
    $parent = 0;
    if (!empty($upload['post'])) {
        if (!isset($posts[$upload['post']])) {
            $posts[$upload['post']] = wp_insert_post(['post_title' => $upload['post'], 'post_status' => 'publish', 'post_content' => '']);
        }
        $parent = $posts[$upload['post']];
    }
    $tmp = wp_tempnam(basename($upload['file']));
    copy($upload['file'], $tmp);
    $id = media_handle_sideload(['name' => basename($upload['file']), 'tmp_name' => $tmp], $parent, null, ['post_title' => pathinfo($upload['file'], PATHINFO_FILENAME)]);
    if (is_wp_error($id)) {
        fwrite(STDERR, $id->get_error_message());
        exit(1);
    }
    update_post_meta($id, '_wp_attachment_image_alt', $upload['alt'] ?? '');
    if ($parent) {
        $img = wp_get_attachment_image($id, 'medium');
        $post = get_post($parent);
        wp_update_post(['ID' => $parent, 'post_content' => $post->post_content . "\n" . $img]);
    }
}
echo json_encode(['posts' => $posts]);
